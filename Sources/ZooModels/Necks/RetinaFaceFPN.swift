import ZooNN

/// RetinaFace's neck: an FPN (1 × 1 `output1/2/3` to 64 channels with LeakyReLU 0.1, top-down nearest resize + add,
/// 3 × 3 `merge2`, `merge1`) then one `SSH` context module per level (`ssh1/2/3`). Maps in and out at strides 8,
/// 16, 32. Port of Pytorch_Retinaface `models/net.py` `FPN` + `models/retinaface.py` (`self.ssh1..3`).
public final class RetinaFaceFPN: Neck {
    public let output: [Conv2d]
    public let merge2: Conv2d, merge1: Conv2d
    public let ssh: [SSH]
    public let outputs: [FeatureMapSpec]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], channels: Int = 64) throws {
        precondition(inputs.count == 3, "RetinaFaceFPN needs three maps, got \(inputs)")
        let leaky = Activation.leaky(0.1)
        output = try inputs.enumerated().map {
            try w.conv2d("fpn.output\($0.offset + 1).0", in: $0.element.channels, out: channels, kernel: 1, activation: leaky)
        }
        merge2 = try w.conv2d("fpn.merge2.0", in: channels, out: channels, kernel: 3, padding: 1, activation: leaky)
        merge1 = try w.conv2d("fpn.merge1.0", in: channels, out: channels, kernel: 3, padding: 1, activation: leaky)
        ssh = try (1...3).map { try SSH(&w, "ssh\($0)", channels: channels) }
        outputs = inputs.map { FeatureMapSpec(name: "ssh_p\($0.stride)", channels: channels, stride: $0.stride) }
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        let o1 = ctx(output[0], features[0]), o2 = ctx(output[1], features[1]), o3 = ctx(output[2], features[2])
        let m2 = ctx(merge2, PAFPN.resizeAdd(o3, onto: o2, ctx))
        let m1 = ctx(merge1, PAFPN.resizeAdd(m2, onto: o1, ctx))
        return [ssh[0](m1, ctx), ssh[1](m2, ctx), ssh[2](o3, ctx)]
    }
}
