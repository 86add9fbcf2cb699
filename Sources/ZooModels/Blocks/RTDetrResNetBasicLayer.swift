import ZooNN

/// RT-DETR ResNet-18/34-vd residual layer (HF `RTDetrResNetBasicLayer`): `layer.0` 3×3/stride + BN + ReLU →
/// `layer.1` 3×3 + BN, plus the shortcut (the first layer of a stage always projects: a 1×1 conv when the channels
/// stay, else an average pool + 1×1 conv), then ReLU. Input `N, inC, H, W` → `N, outC, H/stride, W/stride`.
public struct RTDetrResNetBasicLayer {
    public let conv1: Conv2d, conv2: Conv2d
    public let shortcut: RTDetrResNetShortCut

    public init(_ w: inout TorchWeightImporter, _ path: String, in inC: Int, out outC: Int, stride: Int, applyShortcut: Bool) throws {
        conv1 = try w.convBN("\(path).layer.0.convolution", "\(path).layer.0.normalization", in: inC, out: outC, kernel: 3,
                             stride: stride, padding: 1, activation: .relu)
        conv2 = try w.convBN("\(path).layer.1.convolution", "\(path).layer.1.normalization", in: outC, out: outC, kernel: 3, padding: 1)
        shortcut = try RTDetrResNetShortCut(&w, "\(path).shortcut", in: inC, out: outC, stride: stride,
                                            pooled: applyShortcut && inC != outC, project: applyShortcut)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        let h = ctx(conv2, ctx(conv1, x))
        let y = ctx.arena.tensor(h.shape)
        Ops.add(h, shortcut(x, ctx), into: y, activation: .relu)
        return y
    }
}
