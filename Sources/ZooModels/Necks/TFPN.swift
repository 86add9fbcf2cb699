import ZooNN

/// YuNet's tiny FPN: top-down from the coarsest map, each level `lateral_convs.i` (a `ConvDPUnit`) applied to the
/// backbone map plus the nearest ×2 upsample of the coarser output: `p32 = lat2(c32)`, `p16 = lat1(c16 + up(p32))`,
/// `p8 = lat0(c8 + up(p16))`. Maps in and out at strides 8, 16, 32 (64 channels).
/// Port of libfacedetection.train `mmdet/models/necks/tfpn.py` `TFPN` (module paths `neck.*`).
public final class TFPN: Neck {
    /// `lateral_convs.{0,1,2}` (finest first).
    public let lateral: [ConvDPUnit]
    public let upsample = Upsample(scale: 2, mode: .nearest)
    public let outputs: [FeatureMapSpec]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], channels: Int = 64, path: String = "neck") throws {
        precondition(inputs.map(\.stride) == [8, 16, 32], "TFPN needs maps at strides 8, 16, 32, got \(inputs)")
        // The graph runs (and stores) the top-down path from the coarsest level: lateral 2, then 1, then 0.
        var lateral: [ConvDPUnit] = []
        for i in (0..<3).reversed() {
            lateral.insert(try ConvDPUnit(&w, "\(path).lateral_convs.\(i)", in: inputs[i].channels, out: channels), at: 0)
        }
        self.lateral = lateral
        outputs = inputs.map { FeatureMapSpec(name: "p\($0.stride)", channels: channels, stride: $0.stride) }
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        let p32 = lateral[2](features[2], ctx)
        let p16 = lateral[1](ctx.arena.add(ctx(upsample, p32), features[1]), ctx)
        let p8 = lateral[0](ctx.arena.add(ctx(upsample, p16), features[0]), ctx)
        return [p8, p16, p32]
    }
}
