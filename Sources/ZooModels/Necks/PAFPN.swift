import ZooNN

/// mmdet's `PAFPN` as SCRFD uses it: 1 × 1 `lateral_convs` to `channels`, a top-down pass adding each coarser
/// map nearest-resized to the finer one's size, 3 × 3 `fpn_convs`, then a bottom-up pass adding the stride-2
/// `downsample_convs` of each finer output, and 3 × 3 `pafpn_convs` (no activations: `ConvModule` without
/// norm/act). Maps in and out at strides 8, 16, 32. Port of mmdet `mmdet/models/necks/pafpn.py`
/// (InsightFace `detection/scrfd`, module paths `neck.*`).
public final class PAFPN: Neck {
    /// mmdet `ConvModule`s (`<name>.conv`, "same" padding, no norm or activation): the `BaseConv` block.
    public let lateral: [BaseConv], fpn: [BaseConv], downsample: [BaseConv], pafpn: [BaseConv]
    public let outputs: [FeatureMapSpec]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], channels: Int, path: String = "neck") throws {
        precondition(inputs.count == 3, "PAFPN needs three maps, got \(inputs)")
        lateral = try inputs.enumerated().map {
            try BaseConv(&w, "\(path).lateral_convs.\($0.offset)", in: $0.element.channels, out: channels, kernel: 1, activation: .linear)
        }
        fpn = try (0..<3).map { try BaseConv(&w, "\(path).fpn_convs.\($0)", in: channels, out: channels, kernel: 3, activation: .linear) }
        downsample = try (0..<2).map {
            try BaseConv(&w, "\(path).downsample_convs.\($0)", in: channels, out: channels, kernel: 3, stride: 2, activation: .linear)
        }
        pafpn = try (0..<2).map { try BaseConv(&w, "\(path).pafpn_convs.\($0)", in: channels, out: channels, kernel: 3, activation: .linear) }
        outputs = inputs.map { FeatureMapSpec(name: "p\($0.stride)", channels: channels, stride: $0.stride) }
    }

    /// `fine + resize(coarse, to fine's H × W)`: ONNX Resize nearest (asymmetric, floor) = PyTorch nearest.
    static func resizeAdd(_ coarse: Tensor, onto fine: Tensor, _ ctx: ForwardContext) -> Tensor {
        ctx.arena.add(fine, ctx(Upsample(size: (fine.shape[2], fine.shape[3]), mode: .nearest), coarse))
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        let lat = (0..<3).map { lateral[$0](features[$0], ctx) }
        let td1 = Self.resizeAdd(lat[2], onto: lat[1], ctx)                 // top-down
        let td0 = Self.resizeAdd(td1, onto: lat[0], ctx)
        let f0 = fpn[0](td0, ctx), f1 = fpn[1](td1, ctx), f2 = fpn[2](lat[2], ctx)
        let b1 = ctx.arena.add(f1, downsample[0](f0, ctx))                  // bottom-up
        let b2 = ctx.arena.add(f2, downsample[1](b1, ctx))
        return [f0, pafpn[0](b1, ctx), pafpn[1](b2, ctx)]
    }
}
