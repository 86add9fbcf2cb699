import ZooNN

/// NanoDet's PAN (path aggregation without extra convs): 1×1 lateral convs to `channels`, a top-down pass adding
/// each coarser map bilinearly upsampled to the finer one's size, then a bottom-up pass adding each finer map
/// bilinearly downsampled (align_corners = false) to the coarser one's size. Maps in and out at the same strides.
/// Port of NanoDet `nanodet/model/fpn/pan.py` `PAN` (module paths `fpn.lateral_convs.{i}.conv`).
public final class PAN: Neck {
    public let lateral: [Conv2d]
    public let outputs: [FeatureMapSpec]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], channels: Int, path: String = "fpn") throws {
        lateral = try inputs.enumerated().map { i, spec in
            try w.conv2d("\(path).lateral_convs.\(i).conv", in: spec.channels, out: channels, kernel: 1)
        }
        outputs = inputs.enumerated().map { FeatureMapSpec(name: "p\($0.offset)", channels: channels, stride: $0.element.stride) }
    }

    /// `x` bilinearly resized to `like`'s height and width (PyTorch `interpolate(..., mode="bilinear")`).
    static func resize(_ x: Tensor, like: Tensor, _ ctx: ForwardContext) -> Tensor {
        ctx(Upsample(size: (like.shape[2], like.shape[3]), mode: .bilinear(alignCorners: false)), x)
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        var maps = zip(lateral, features).map { ctx($0, $1) }
        for i in stride(from: maps.count - 1, to: 0, by: -1) {          // top-down
            maps[i - 1] = ctx.arena.add(maps[i - 1], Self.resize(maps[i], like: maps[i - 1], ctx))
        }
        for i in 0..<(maps.count - 1) {                                 // bottom-up
            maps[i + 1] = ctx.arena.add(maps[i + 1], Self.resize(maps[i], like: maps[i + 1], ctx))
        }
        return maps
    }
}
