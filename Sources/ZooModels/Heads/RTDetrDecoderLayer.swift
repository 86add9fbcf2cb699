import ZooNN

/// One RT-DETR decoder layer (HF transformers 5.23 `RTDetrDecoderLayer`), post-norm:
/// `h = LN(h + self_attn(q = k = h + pos, v = h))`, `h = LN(h + encoder_attn(h + pos → offsets, weights; memory))`
/// (multi-scale deformable attention around each query's reference box), `h = LN(h + fc2(relu(fc1(h))))`.
///
/// Keys `<path>.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, encoder_attn.{sampling_offsets, attention_weights,
/// value_proj, output_proj}, encoder_attn_layer_norm, fc1, fc2, final_layer_norm}`. Hidden and position `B, Q, d`;
/// memory `B, S, d` over `levels`; reference boxes `B, Q, 1, 4` (sigmoid `cx, cy, w, h`).
public struct RTDetrDecoderLayer {
    public var selfAttn: MultiheadAttention, selfAttnLayerNorm: LayerNorm
    public var encoderAttn: MultiscaleDeformableAttention, encoderAttnLayerNorm: LayerNorm
    public var mlp: FeedForward, finalLayerNorm: LayerNorm

    /// Sizes from the checkpoint except `heads` (8 in every published config: not stored); the sampling points
    /// follow from `sampling_offsets` (`heads · levels · points · 2` rows).
    public init(_ w: inout TorchWeightImporter, _ path: String, dim d: Int, heads: Int, levels: Int) throws {
        let file = w.stateDict.file
        guard let so = w.shape("\(path).encoder_attn.sampling_offsets.weight"), so.count == 2, so[0] % (heads * levels * 2) == 0, so[0] > 0,
              let fc1 = w.shape("\(path).fc1.weight"), fc1.count == 2 else {
            throw TorchPickleError(file: file, "\(path): sampling_offsets / fc1 missing or not a multiple of \(heads) heads × \(levels) levels × 2")
        }
        selfAttn = try w.attention("\(path).self_attn", dim: d, heads: heads)
        selfAttnLayerNorm = try w.layerNorm("\(path).self_attn_layer_norm", dim: d)
        var msda = MultiscaleDeformableAttention(dModel: d, heads: heads, levels: levels, points: so[0] / (heads * levels * 2))
        msda.samplingOffsets = try w.linear("\(path).encoder_attn.sampling_offsets", in: d, out: so[0])
        msda.attentionWeights = try w.linear("\(path).encoder_attn.attention_weights", in: d, out: so[0] / 2)
        msda.valueProj = try w.linear("\(path).encoder_attn.value_proj", in: d, out: d)
        msda.outputProj = try w.linear("\(path).encoder_attn.output_proj", in: d, out: d)
        encoderAttn = msda
        encoderAttnLayerNorm = try w.layerNorm("\(path).encoder_attn_layer_norm", dim: d)
        var f = FeedForward(embedDim: d, hiddenDim: fc1[0], activation: .relu)
        f.fc1 = try w.linear("\(path).fc1", in: d, out: fc1[0], activation: .relu)
        f.fc2 = try w.linear("\(path).fc2", in: fc1[0], out: d)
        mlp = f
        finalLayerNorm = try w.layerNorm("\(path).final_layer_norm", dim: d)
    }

    /// (the layer's output `B, Q, d`, the deformable attention's output `B, Q, d` before its residual — HF's
    /// `encoder_attn` module output).
    public func callAsFunction(_ h: Tensor, position: Tensor, memory: Tensor, levels: [(h: Int, w: Int)], referenceBoxes: Tensor,
                               _ ctx: ForwardContext) -> (hidden: Tensor, crossAttention: Tensor) {
        let arena = ctx.arena, ws = ctx.workspace
        let qk = arena.add(h, position)
        var t = ctx(selfAttnLayerNorm, arena.add(h, selfAttn(query: qk, key: qk, value: h, arena: arena, workspace: ws)))
        let cross = encoderAttn(hidden: t, position: position, encoder: memory, levelShapes: levels, referencePoints: referenceBoxes,
                                valueMask: nil, arena: arena, workspace: ws)
        t = ctx(encoderAttnLayerNorm, arena.add(t, cross))
        t = ctx(finalLayerNorm, arena.add(t, mlp(t, arena: arena, workspace: ws)))
        return (t, cross)
    }
}
