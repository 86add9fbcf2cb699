import Foundation

/// Multi-scale deformable attention (Deformable DETR / RT-DETR decoder cross-attention), port of HF transformers 5.23
/// `RTDetrMultiscaleDeformableAttention`: with `h = hidden + position`, `value = value_proj(encoder)` (masked cells
/// zeroed), `offsets = sampling_offsets(h)` `B, Q, H, L, P, 2`, `weights = softmax_{L·P}(attention_weights(h))`,
/// locations `ref.xy + offsets / (w_l, h_l)` for 2-d reference points or `ref.xy + offsets / P · ref.wh · 0.5` for
/// 4-d reference boxes, then `output_proj(DeformableAttention.sample(...))`.
///
/// Tensors: hidden and position `B, Q, d`; encoder states `B, S, d` over `levels` (S = Σ h_l·w_l); reference points
/// `B, Q, 1 or L, 2 or 4` (normalised `x, y[, w, h]`); value mask `B · S` bytes (non-zero = valid cell) or nil;
/// output `B, Q, d`. Key names: `value_proj`, `sampling_offsets`, `attention_weights`, `output_proj`.
public struct MultiscaleDeformableAttention {
    public let dModel: Int, heads: Int, levels: Int, points: Int
    public var samplingOffsets: Linear, attentionWeights: Linear, valueProj: Linear, outputProj: Linear

    public init(dModel: Int, heads: Int, levels: Int, points: Int) {
        precondition(dModel % heads == 0, "MultiscaleDeformableAttention: d_model \(dModel) is not a multiple of \(heads) heads")
        self.dModel = dModel; self.heads = heads; self.levels = levels; self.points = points
        samplingOffsets = Linear(inFeatures: dModel, outFeatures: heads * levels * points * 2)
        attentionWeights = Linear(inFeatures: dModel, outFeatures: heads * levels * points)
        valueProj = Linear(inFeatures: dModel, outFeatures: dModel)
        outputProj = Linear(inFeatures: dModel, outFeatures: dModel)
    }

    public func callAsFunction(hidden: Tensor, position: Tensor?, encoder: Tensor, levelShapes: [(h: Int, w: Int)],
                               referencePoints ref: Tensor, valueMask: UnsafePointer<UInt8>?, arena: TensorArena, workspace: Workspace) -> Tensor {
        let b = hidden.shape[0], q = hidden.shape[1], s = encoder.shape[1], d = dModel
        precondition(levelShapes.count == levels && levelShapes.reduce(0, { $0 + $1.h * $1.w }) == s,
                     "MultiscaleDeformableAttention: level shapes \(levelShapes) do not cover \(s) encoder cells")
        precondition(ref.rank == 4 && ref.shape[0] == b && ref.shape[1] == q && (ref.shape[2] == 1 || ref.shape[2] == levels)
                     && (ref.shape[3] == 2 || ref.shape[3] == 4), "MultiscaleDeformableAttention: reference points \(ref.shape)")
        let h = position.map { arena.add(hidden, $0) } ?? hidden
        let value = arena.run(valueProj, encoder.reshaped([b * s, d]), workspace)
        if let valueMask { for i in 0..<(b * s) where valueMask[i] == 0 { (value.pointer + i * d).update(repeating: 0, count: d) } }
        let rows = h.reshaped([b * q, d])
        let offsets = arena.run(samplingOffsets, rows, workspace)
        let weights = arena.run(attentionWeights, rows, workspace)
        let lp = levels * points
        for r in 0..<(b * q * heads) {   // softmax over levels × points of each (query, head)
            let w = weights.pointer + r * lp
            var mx = -Float.infinity
            for i in 0..<lp { mx = max(mx, w[i]) }
            var sum: Float = 0
            for i in 0..<lp { w[i] = expf(w[i] - mx); sum += w[i] }
            for i in 0..<lp { w[i] /= sum }
        }
        let loc = arena.tensor([b * q * heads * lp * 2])
        let lr = ref.shape[2], rc = ref.shape[3]
        for bq in 0..<(b * q) { for hd in 0..<heads { for l in 0..<levels { for p in 0..<points {
            let k = ((bq * heads + hd) * levels + l) * points + p
            let o = offsets.pointer + 2 * k
            let rp = ref.pointer + (bq * lr + (lr == 1 ? 0 : l)) * rc
            if rc == 2 {
                loc.pointer[2 * k] = rp[0] + o[0] / Float(levelShapes[l].w)
                loc.pointer[2 * k + 1] = rp[1] + o[1] / Float(levelShapes[l].h)
            } else {
                loc.pointer[2 * k] = rp[0] + o[0] / Float(points) * rp[2] * 0.5
                loc.pointer[2 * k + 1] = rp[1] + o[1] / Float(points) * rp[3] * 0.5
            }
        } } } }
        let sampled = arena.tensor([b * q, d])
        let g = DeformableAttention.Geometry(batch: b, queries: q, heads: heads, headDim: d / heads, points: points, levels: levelShapes)
        DeformableAttention.sample(g, value: value.pointer, locations: loc.pointer, weights: weights.pointer, output: sampled.pointer)
        return arena.run(outputProj, sampled, workspace).reshaped([b, q, d])
    }
}
