import ZooNN

/// YOLOX `CSPLayer` (a C3 block): two 1 × 1 branches of `out/2` channels; the first runs `n` bottlenecks,
/// then both are concatenated and fused by a 1 × 1 conv. Input `N, inC, H, W` → `N, outC, H, W`.
/// Port of YOLOX `network_blocks.py` `CSPLayer` and `Bottleneck` (expansion 1.0 inside the block).
public struct CSPLayer {
    /// YOLOX `Bottleneck`: 1 × 1 conv, then a 3 × 3 (`YOLOXConv`), plus the input when `shortcut`.
    public struct Bottleneck {
        public let conv1: BaseConv
        public let conv2: YOLOXConv
        public let shortcut: Bool

        public init(_ w: inout ONNXWeightImporter, _ path: String, channels c: Int, shortcut: Bool, depthwise: Bool) throws {
            conv1 = try BaseConv(&w, "\(path).conv1", in: c, out: c, kernel: 1)
            conv2 = try YOLOXConv(&w, "\(path).conv2", in: c, out: c, kernel: 3, depthwise: depthwise)
            self.shortcut = shortcut
        }

        public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
            let y = conv2(conv1(x, ctx), ctx)
            return shortcut ? ctx.arena.add(y, x) : y
        }
    }

    public let conv1: BaseConv, conv2: BaseConv, conv3: BaseConv
    public let m: [Bottleneck]

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, n: Int,
                shortcut: Bool = true, depthwise: Bool) throws {
        let hidden = outC / 2
        conv1 = try BaseConv(&w, "\(path).conv1", in: inC, out: hidden, kernel: 1)
        conv2 = try BaseConv(&w, "\(path).conv2", in: inC, out: hidden, kernel: 1)
        m = try (0..<n).map { try Bottleneck(&w, "\(path).m.\($0)", channels: hidden, shortcut: shortcut, depthwise: depthwise) }
        conv3 = try BaseConv(&w, "\(path).conv3", in: 2 * hidden, out: outC, kernel: 1)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        var x1 = conv1(x, ctx)
        let x2 = conv2(x, ctx)
        for b in m { x1 = b(x1, ctx) }
        return conv3(ctx.arena.concatChannels([x1, x2]), ctx)
    }
}
