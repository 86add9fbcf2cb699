import ZooNN

/// YuNet's depthwise-separable unit `ConvDPUnit`: a 1 × 1 conv (`conv1`, no activation) then a 3 × 3 depthwise
/// conv (`conv2`, BN folded, ReLU unless it is a head output). Input `N, inC, H, W` → `N, outC, H, W`.
/// Port of libfacedetection.train `mmdet/models/backbones/yunet_backbone.py` `ConvDPUnit`.
public struct ConvDPUnit {
    public let conv1: Conv2d, conv2: Conv2d

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, relu: Bool = true) throws {
        conv1 = try w.conv2d("\(path).conv1", in: inC, out: outC, kernel: 1)
        conv2 = try w.conv2d("\(path).conv2", in: outC, out: outC, kernel: 3, padding: 1, groups: outC,
                             activation: relu ? .relu : .linear)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor { ctx(conv2, ctx(conv1, x)) }
}
