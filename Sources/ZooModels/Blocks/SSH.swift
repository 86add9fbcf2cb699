import ZooNN

/// RetinaFace's context module `SSH(64, 64)`: a 3 × 3 branch (32 channels), a 5 × 5 branch as two 3 × 3 (16), a
/// 7 × 7 branch as three 3 × 3 sharing the 5 × 5 branch's first (16); concatenated, then ReLU (BN folded;
/// LeakyReLU 0.1 inside the branches as `conv_bn`, none at their ends as `conv_bn_no_relu`).
/// Input `N, 64, H, W` → `N, 64, H, W`. Port of Pytorch_Retinaface `models/net.py` `SSH`.
public struct SSH {
    public let conv3X3: Conv2d, conv5X5_1: Conv2d, conv5X5_2: Conv2d, conv7X7_2: Conv2d, conv7x7_3: Conv2d

    public init(_ w: inout ONNXWeightImporter, _ path: String, channels: Int = 64) throws {
        let leaky = Activation.leaky(0.1)
        conv3X3 = try w.conv2d("\(path).conv3X3.0", in: channels, out: channels / 2, kernel: 3, padding: 1)
        conv5X5_1 = try w.conv2d("\(path).conv5X5_1.0", in: channels, out: channels / 4, kernel: 3, padding: 1, activation: leaky)
        conv5X5_2 = try w.conv2d("\(path).conv5X5_2.0", in: channels / 4, out: channels / 4, kernel: 3, padding: 1)
        conv7X7_2 = try w.conv2d("\(path).conv7X7_2.0", in: channels / 4, out: channels / 4, kernel: 3, padding: 1, activation: leaky)
        conv7x7_3 = try w.conv2d("\(path).conv7x7_3.0", in: channels / 4, out: channels / 4, kernel: 3, padding: 1)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        let a = ctx(conv3X3, x)
        let h5 = ctx(conv5X5_1, x)
        let b = ctx(conv5X5_2, h5)
        let d = ctx(conv7x7_3, ctx(conv7X7_2, h5))
        let y = ctx.arena.concatChannels([a, b, d])
        Ops.activate(y, .relu, into: y)
        return y
    }
}
