import ZooNN

/// MobileNetV1's `conv_dw`: a 3 × 3 depthwise conv (`.0`, BN `.1` folded, activation) carrying the stride, then a
/// 1 × 1 pointwise conv (`.3`, BN `.4` folded, activation). Input `N, inC, H, W` → `N, outC, H/stride, W/stride`.
/// Port of mmdet's `MobileNetV1.conv_dw` (SCRFD backbone and head towers, ReLU) and Pytorch_Retinaface
/// `models/net.py` `conv_dw` (LeakyReLU 0.1).
public struct DepthwiseSeparableConv {
    public let dw: Conv2d, pw: Conv2d

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, stride: Int = 1,
                activation: Activation = .relu) throws {
        dw = try w.conv2d("\(path).0", in: inC, out: inC, kernel: 3, stride: stride, padding: 1, groups: inC, activation: activation)
        pw = try w.conv2d("\(path).3", in: inC, out: outC, kernel: 1, activation: activation)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor { ctx(pw, ctx(dw, x)) }
}
