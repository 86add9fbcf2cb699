import ZooNN

/// YOLOX `BaseConv`: conv (no bias) → BatchNorm → activation, with the BatchNorm folded into the conv's weight
/// and bias (as the ONNX export stores it). Input `N, inC, H, W` → `N, outC, H/stride, W/stride` ("same" padding
/// `(k − 1) / 2`). Port of YOLOX `yolox/models/network_blocks.py` `BaseConv`.
public struct BaseConv {
    public let conv: Conv2d

    /// Imports `<path>.conv` (+ folded `<path>.bn`) from the next ONNX `Conv`.
    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, kernel: Int,
                stride: Int = 1, groups: Int = 1, activation: Activation = .silu) throws {
        conv = try w.conv2d("\(path).conv", in: inC, out: outC, kernel: kernel, stride: stride,
                            padding: (kernel - 1) / 2, groups: groups, activation: activation)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor { ctx(conv, x) }
}
