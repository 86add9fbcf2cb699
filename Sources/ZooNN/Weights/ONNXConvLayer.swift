import Foundation
import ZooTensor

extension ONNXWeightImporter {
    /// The next ONNX `Conv` as a `Conv2d` with `activation` fused; the graph must apply exactly that activation
    /// to the conv's output (`Relu`, `LeakyRelu`, `Sigmoid`, `PRelu`) — checked, so a model cannot silently drop one.
    public mutating func conv2d(_ path: String, in inC: Int, out outC: Int, kernel: Int, stride: Int = 1,
                                padding: Int = 0, groups: Int = 1, bias: Bool = true,
                                activation: Activation = .linear) throws -> Conv2d {
        let fused: String?
        switch activation {
        case .linear: fused = nil
        case .relu: fused = "Relu"
        case .leaky: fused = "LeakyRelu"
        case .sigmoid: fused = "Sigmoid"
        case .silu: fused = "SiLU"
        default: throw ONNXError.unsupported("fusing \(activation) into Conv '\(path)'")
        }
        let c = try conv(path, in: inC, out: outC, kernel: kernel, stride: stride, padding: padding, groups: groups,
                         bias: bias, fused: fused)
        if activation == .linear, let consumer = c.consumer, ["Relu", "LeakyRelu", "Sigmoid", "Clip"].contains(consumer) {
            throw ONNXError.mismatch("Conv '\(path)' is followed by \(consumer) but the model applies no activation")
        }
        var layer = Conv2d(inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: padding,
                           groups: groups, bias: bias, activation: activation)
        layer.weight = c.weight
        layer.bias = c.bias
        return layer
    }
}
