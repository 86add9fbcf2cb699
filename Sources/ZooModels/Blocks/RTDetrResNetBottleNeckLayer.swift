import ZooNN

/// RT-DETR ResNet-50/101-vd bottleneck (HF `RTDetrResNetBottleNeckLayer`, `downsample_in_bottleneck=False`: the stride
/// on the 3×3): `layer.0` 1×1 + BN + ReLU → `layer.1` 3×3/stride + BN + ReLU → `layer.2` 1×1 (×4) + BN, plus the
/// shortcut (stride 2: 2×2 average pool, then a 1×1 conv; else a 1×1 conv when the channels change), then ReLU.
/// Input `N, inC, H, W` → `N, outC, H/stride, W/stride`.
public struct RTDetrResNetBottleNeckLayer {
    public let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d
    public let shortcut: RTDetrResNetShortCut

    public init(_ w: inout TorchWeightImporter, _ path: String, in inC: Int, out outC: Int, stride: Int) throws {
        let mid = outC / 4
        conv1 = try w.convBN("\(path).layer.0.convolution", "\(path).layer.0.normalization", in: inC, out: mid, kernel: 1, activation: .relu)
        conv2 = try w.convBN("\(path).layer.1.convolution", "\(path).layer.1.normalization", in: mid, out: mid, kernel: 3,
                             stride: stride, padding: 1, activation: .relu)
        conv3 = try w.convBN("\(path).layer.2.convolution", "\(path).layer.2.normalization", in: mid, out: outC, kernel: 1)
        shortcut = try RTDetrResNetShortCut(&w, "\(path).shortcut", in: inC, out: outC, stride: stride, pooled: stride == 2,
                                            project: inC != outC || stride != 1)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        let h = ctx(conv3, ctx(conv2, ctx(conv1, x)))
        let y = ctx.arena.tensor(h.shape)
        Ops.add(h, shortcut(x, ctx), into: y, activation: .relu)
        return y
    }
}
