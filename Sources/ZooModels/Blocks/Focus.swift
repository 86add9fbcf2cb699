import ZooNN

/// YOLOX `Focus` stem: space-to-depth by 2 (four pixel phases stacked as channels, in YOLOX's order
/// top-left, bottom-left, top-right, bottom-right), then a `BaseConv`. Input `N, C, H, W` (H, W even) →
/// `N, outC, H/2, W/2`. Port of YOLOX `network_blocks.py` `Focus`.
public struct Focus {
    public let conv: BaseConv

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, kernel: Int) throws {
        conv = try BaseConv(&w, "\(path).conv", in: inC * 4, out: outC, kernel: kernel)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        conv(Self.spaceToDepth(x, ctx), ctx)
    }

    static let phases = [(0, 0), (1, 0), (0, 1), (1, 1)]

    /// `N, C, H, W` → `N, 4C, H/2, W/2`: channel block `k` holds phase (dy, dx) = (0,0), (1,0), (0,1), (1,1).
    static func spaceToDepth(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        precondition(h % 2 == 0 && w % 2 == 0, "Focus: input \(x.shape) needs even H and W")
        let oh = h / 2, ow = w / 2
        let y = ctx.arena.tensor([n, 4 * c, oh, ow])
        let src = x.pointer, dst = y.pointer
        for b in 0..<n {
            for (k, (dy, dx)) in Self.phases.enumerated() {
                for ch in 0..<c {
                    let s = src + ((b * c + ch) * h) * w
                    let d = dst + ((b * 4 * c + k * c + ch) * oh) * ow
                    for i in 0..<oh {
                        let row = s + (2 * i + dy) * w + dx, out = d + i * ow
                        for j in 0..<ow { out[j] = row[2 * j] }
                    }
                }
            }
        }
        ctx.arena.trace?.setField(ctx.arena.trace!.field(of: x).window(kernel: 2, stride: 2), of: y)
        return y
    }
}
