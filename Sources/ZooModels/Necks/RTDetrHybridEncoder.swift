import ZooNN

/// RT-DETR's hybrid encoder (Zhao et al. 2024; HF transformers 5.23 `RTDetrModel.encoder_input_proj` +
/// `RTDetrHybridEncoder`): each backbone map projected to `d` channels (1×1 conv + BN, `encoder_input_proj.L.{0,1}`),
/// AIFI attention on the last level (`encoder.encoder.0`, `encode_proj_layers=[2]`), then CCFF — a top-down FPN
/// (`lateral_convs.i` 1×1 + BN + SiLU, nearest ×2, concat with the finer map, `fpn_blocks.i` `RTDetrCSPRepLayer`) and a
/// bottom-up PAN (`downsample_convs.i` 3×3/2 + BN + SiLU, concat, `pan_blocks.i`).
///
/// Input: the backbone's maps at strides 8, 16, 32 (`B, C_l, H/s, W/s`); output: three `B, d, H/s, W/s` maps, finest
/// first (HF `encoder_last_hidden_state`). Sizes follow the checkpoint; the activations (SiLU in the fusion, GELU in the
/// AIFI FFN) and the head count are the published configs' (`activation_function="silu"`, 8 heads): not stored in a checkpoint.
public final class RTDetrHybridEncoder: Neck {
    public let inputProjections: [Conv2d]
    public let aifi: RTDetrAIFILayer
    public let lateralConvs: [Conv2d], fpnBlocks: [RTDetrCSPRepLayer]
    public let downsampleConvs: [Conv2d], panBlocks: [RTDetrCSPRepLayer]
    public let dim: Int
    public let outputs: [FeatureMapSpec]
    let upsample = Upsample(scale: 2)

    /// Imports `encoder_input_proj.*` and `encoder.*` (the checkpoint's `model.` dropped by the importer).
    public init(_ w: inout TorchWeightImporter, inputs: [FeatureMapSpec], heads: Int = 8, activation: Activation = .silu) throws {
        guard inputs.count == 3, let p0 = w.shape("encoder_input_proj.0.0.weight"), p0.count == 4 else {
            throw TorchPickleError(file: w.stateDict.file, "encoder_input_proj.0.0.weight missing or the backbone does not give three maps: not RT-DETR")
        }
        let d = p0[0]
        dim = d
        inputProjections = try inputs.enumerated().map { l, spec in
            try w.convBN("encoder_input_proj.\(l).0", "encoder_input_proj.\(l).1", in: spec.channels, out: d, kernel: 1)
        }
        guard !w.has("encoder.encoder.1.layers.0.fc1.weight") else {
            throw TorchPickleError(file: w.stateDict.file, "encoder.encoder.1: AIFI on more than the last level is not supported (encode_proj_layers=[2] only)")
        }
        aifi = try RTDetrAIFILayer(&w, "encoder.encoder.0", dim: d, heads: heads)
        let n = inputs.count - 1
        lateralConvs = try (0..<n).map { try w.convBN("encoder.lateral_convs.\($0).conv", "encoder.lateral_convs.\($0).norm", in: d, out: d, kernel: 1, activation: activation) }
        fpnBlocks = try (0..<n).map { try RTDetrCSPRepLayer(&w, "encoder.fpn_blocks.\($0)", channels: d, activation: activation) }
        downsampleConvs = try (0..<n).map {
            try w.convBN("encoder.downsample_convs.\($0).conv", "encoder.downsample_convs.\($0).norm", in: d, out: d, kernel: 3, stride: 2,
                         padding: 1, activation: activation)
        }
        panBlocks = try (0..<n).map { try RTDetrCSPRepLayer(&w, "encoder.pan_blocks.\($0)", channels: d, activation: activation) }
        outputs = inputs.enumerated().map { FeatureMapSpec(name: "pan\($0.offset)", channels: d, stride: $0.element.stride) }
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) throws -> [Tensor] {
        precondition(features.count == inputProjections.count, "RTDetrHybridEncoder: \(features.count) maps, expected \(inputProjections.count)")
        var maps = zip(inputProjections, features).map { ctx($0, $1) }
        maps[maps.count - 1] = aifi(maps[maps.count - 1], ctx)
        try Interruption.check()
        // Top-down: the coarsest map, lateral conv, ×2, fused with the next finer map.
        let n = maps.count - 1
        var fpn = [maps[n]]
        for i in 0..<n {
            let top = ctx(lateralConvs[i], fpn[fpn.count - 1])
            fpn[fpn.count - 1] = top
            fpn.append(fpnBlocks[i](ctx.arena.concatChannels([ctx(upsample, top), maps[n - i - 1]]), ctx))
        }
        fpn.reverse()
        // Bottom-up: the finest fused map, stride-2 conv, fused with the next coarser one.
        var pan = [fpn[0]]
        for i in 0..<n {
            pan.append(panBlocks[i](ctx.arena.concatChannels([ctx(downsampleConvs[i], pan[pan.count - 1]), fpn[i + 1]]), ctx))
        }
        return pan
    }
}
