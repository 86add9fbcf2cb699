import ZooNN

/// RT-DETR's RepVGG block (HF transformers 5.23 `RTDetrRepVggBlock`): `act(conv1(x) + conv2(x))` with `conv1` 3×3 +
/// BN and `conv2` 1×1 + BN (keys `<path>.conv{1,2}.{conv,norm}`), re-parameterised at load into one 3×3 conv (the 1×1
/// kernel added to the 3×3's centre tap, biases summed: RepVGG's inference form, the same function up to float
/// rounding). Input and output `N, C, H, W`.
public struct RTDetrRepVggBlock {
    public let conv: Conv2d

    public init(_ w: inout TorchWeightImporter, _ path: String, channels c: Int, activation: Activation) throws {
        var c3 = try w.convBN("\(path).conv1.conv", "\(path).conv1.norm", in: c, out: c, kernel: 3, padding: 1)
        let c1 = try w.convBN("\(path).conv2.conv", "\(path).conv2.norm", in: c, out: c, kernel: 1)
        let w3 = c3.weight.copy(), b3 = c3.bias!.copy()
        for o in 0..<c {
            for i in 0..<c { w3.pointer[((o * c + i) * 3 + 1) * 3 + 1] += c1.weight.pointer[o * c + i] }
            b3.pointer[o] += c1.bias!.pointer[o]
        }
        c3.weight = w3; c3.bias = b3; c3.activation = activation
        conv = c3
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor { ctx(conv, x) }
}
