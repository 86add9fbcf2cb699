import ZooNN

/// Spatial pyramid pooling (YOLOv3-SPP / YOLOX `SPPBottleneck`): 1 × 1 conv to `in/2` channels, then the map
/// and its stride-1 max-pools with kernels 5, 9, 13 ("same" padding) concatenated, fused by a 1 × 1 conv.
/// Input `N, inC, H, W` → `N, outC, H, W`. Port of YOLOX `network_blocks.py` `SPPBottleneck`.
public struct SPPBottleneck {
    public let conv1: BaseConv, conv2: BaseConv
    public let pools: [MaxPool2d]

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, kernels: [Int] = [5, 9, 13]) throws {
        let hidden = inC / 2
        conv1 = try BaseConv(&w, "\(path).conv1", in: inC, out: hidden, kernel: 1)
        pools = kernels.map { MaxPool2d(kernel: $0, stride: 1, padding: $0 / 2) }
        conv2 = try BaseConv(&w, "\(path).conv2", in: hidden * (kernels.count + 1), out: outC, kernel: 1)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        let h = conv1(x, ctx)
        return conv2(ctx.arena.concatChannels([h] + pools.map { ctx($0, h) }), ctx)
    }
}
