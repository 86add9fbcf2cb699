import Foundation
import ZooNN

/// torchvision's `SqueezeExcitation` as MobileNetV3 uses it (Hu et al. 2018): global average pool → `fc1` (1×1
/// conv, `C → S`, bias) → ReLU → `fc2` (`S → C`, bias) → hard-sigmoid (`relu6(x + 3) / 6`) → the input scaled per
/// channel. Input and output `N, C, H, W`; may run in place. Port of torchvision `ops/misc.py` `SqueezeExcitation`.
public struct SqueezeExcitation: Layer {
    public let channels: Int, squeezeChannels: Int
    /// `fc1.weight` `[S, C, 1, 1]` and `fc1.bias` `[S]`; `fc2.weight` `[C, S, 1, 1]`, `fc2.bias` `[C]`.
    public let fc1: Conv2d, fc2: Conv2d

    /// Imports `<path>.fc1` and `<path>.fc2`.
    public init(_ w: inout TorchWeightImporter, _ path: String, channels: Int, squeezeChannels: Int) throws {
        fc1 = try w.conv2d("\(path).fc1", in: channels, out: squeezeChannels, kernel: 1, bias: true)
        fc2 = try w.conv2d("\(path).fc2", in: squeezeChannels, out: channels, kernel: 1, bias: true)
        self.channels = channels; self.squeezeChannels = squeezeChannels
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4 && input[1] == channels, "SqueezeExcitation: input \(input) is not N, \(channels), H, W")
        return input
    }

    /// Small (2·C·S multiply-adds per sample): plain loops over raw pointers, the pooled vector and the hidden
    /// units in a temporary stack allocation.
    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        precondition(y.shape == outputShape(for: x.shape), "SqueezeExcitation: output \(y.shape), expected \(x.shape)")
        let n = x.shape[0], c = channels, s = squeezeChannels, hw = x.shape[2] * x.shape[3]
        let w1 = fc1.weight.pointer, b1 = fc1.bias!.pointer, w2 = fc2.weight.pointer, b2 = fc2.bias!.pointer
        withUnsafeTemporaryAllocation(of: Float.self, capacity: c + s) { tmp in
            let pooled = tmp.baseAddress!, hidden = pooled + c
            for i in 0..<n {
                let src = x.pointer + i * c * hw, dst = y.pointer + i * c * hw
                for ch in 0..<c {
                    var sum: Float = 0
                    let p = src + ch * hw
                    for j in 0..<hw { sum += p[j] }
                    pooled[ch] = sum / Float(hw)
                }
                for k in 0..<s {
                    var v = b1[k]
                    let row = w1 + k * c
                    for ch in 0..<c { v += row[ch] * pooled[ch] }
                    hidden[k] = v > 0 ? v : 0
                }
                for ch in 0..<c {
                    var v = b2[ch]
                    let row = w2 + ch * s
                    for k in 0..<s { v += row[k] * hidden[k] }
                    let scale = Swift.min(Swift.max(v + 3, 0), 6) / 6
                    let p = src + ch * hw, q = dst + ch * hw
                    for j in 0..<hw { q[j] = p[j] * scale }
                }
            }
        }
    }
}
