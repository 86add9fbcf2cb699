import ZooNN

/// The residual path of an RT-DETR ResNet-vd block (HF transformers 5.23 `modeling_rt_detr_resnet.py`): the identity,
/// `RTDetrResNetShortCut` (1×1 conv + BatchNorm, keys `<path>.convolution` / `<path>.normalization`), or — variant
/// "d", where a block changes resolution — a 2×2/2 average pool (`ceil_mode=True`) before that 1×1 conv (`nn.Sequential`:
/// keys `<path>.1.convolution` …). Input `N, C, H, W` → `N, C', H/s, W/s`.
public struct RTDetrResNetShortCut {
    public let pool: AvgPool2d?
    public let conv: Conv2d?

    /// `.identity`; `conv(stride:)` at `path`; `pooled` (avg pool, then a stride-1 conv at `path.1`, or none when
    /// `project` is false).
    public init(_ w: inout TorchWeightImporter, _ path: String, in inC: Int, out outC: Int, stride: Int, pooled: Bool, project: Bool) throws {
        pool = pooled ? AvgPool2d(kernel: 2, stride: 2, ceilMode: true) : nil
        if project {
            let p = pooled ? "\(path).1" : path
            conv = try w.convBN("\(p).convolution", "\(p).normalization", in: inC, out: outC, kernel: 1, stride: pooled ? 1 : stride)
        } else {
            conv = nil
        }
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        var h = x
        if let pool { h = ctx(pool, h) }
        if let conv { h = ctx(conv, h) }
        return h
    }
}
