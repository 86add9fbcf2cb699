/// Multi-head attention with separate query/key/value/output projections, on the tiled `FlashAttention` kernel:
/// `out_proj(attention(q_proj(query), k_proj(key), v_proj(value)))`, heads of `embedDim / numHeads` channels,
/// scores scaled by `1/√headDim`.
///
/// Tensors are batch first: query `B, Lq, E`, key and value `B, Lk, E`, output `B, Lq, E`. An optional key padding
/// mask holds `B · Lk` bytes (non-zero = ignore that key), PyTorch's `key_padding_mask` convention.
///
/// Weight layouts: HF DETR / RT-DETR store `q_proj`, `k_proj`, `v_proj`, `out_proj` (`o_proj` in transformers 5.x
/// modules) as four `Linear`s; `torch.nn.MultiheadAttention` packs the first three as `in_proj_weight [3E, E]` and
/// `in_proj_bias [3E]` (rows q, k, v) beside `out_proj.weight/bias` — `setPackedInProjection` splits those.
public struct MultiheadAttention {
    public let embedDim: Int, numHeads: Int
    public var qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear
    /// Workspace slot of the attention kernel's scratch (the projections use the arena).
    public var workspaceSlot = 7

    public var headDim: Int { embedDim / numHeads }

    public init(embedDim: Int, numHeads: Int, bias: Bool = true) {
        precondition(numHeads >= 1 && embedDim % numHeads == 0, "MultiheadAttention: embedDim \(embedDim) is not a multiple of numHeads \(numHeads)")
        self.embedDim = embedDim; self.numHeads = numHeads
        qProj = Linear(inFeatures: embedDim, outFeatures: embedDim, bias: bias)
        kProj = Linear(inFeatures: embedDim, outFeatures: embedDim, bias: bias)
        vProj = Linear(inFeatures: embedDim, outFeatures: embedDim, bias: bias)
        outProj = Linear(inFeatures: embedDim, outFeatures: embedDim, bias: bias)
    }

    /// Sets q/k/v from PyTorch's packed `in_proj_weight [3E, E]` and `in_proj_bias [3E]` (rows: q, then k, then v).
    public mutating func setPackedInProjection(weight: Tensor, bias: Tensor?) throws {
        let e = embedDim
        guard weight.shape == [3 * e, e] else { throw LayerShapeError("in_proj_weight has shape \(weight.shape), expected \([3 * e, e])") }
        if let bias, bias.shape != [3 * e] { throw LayerShapeError("in_proj_bias has shape \(bias.shape), expected \([3 * e])") }
        func rows(_ t: Tensor, _ i: Int, _ shape: [Int]) -> Tensor {
            let part = Tensor(zeros: shape)
            part.pointer.update(from: t.pointer + i * part.count, count: part.count)
            return part
        }
        qProj.weight = rows(weight, 0, [e, e]); kProj.weight = rows(weight, 1, [e, e]); vProj.weight = rows(weight, 2, [e, e])
        if let bias { qProj.bias = rows(bias, 0, [e]); kProj.bias = rows(bias, 1, [e]); vProj.bias = rows(bias, 2, [e]) }
        else { qProj.bias = nil; kProj.bias = nil; vProj.bias = nil }
    }

    /// Attention of `query` over `key`/`value` into the next arena buffer (`B, Lq, E`).
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: UnsafePointer<UInt8>? = nil,
                               arena: TensorArena, workspace: Workspace) -> Tensor {
        precondition(query.rank == 3 && key.rank == 3 && value.rank == 3 && query.shape[2] == embedDim && key.shape[2] == embedDim
                     && value.shape[2] == embedDim && key.shape[0] == query.shape[0] && value.shape[0] == query.shape[0]
                     && value.shape[1] == key.shape[1],
                     "MultiheadAttention: query \(query.shape), key \(key.shape), value \(value.shape) for embedDim \(embedDim)")
        let b = query.shape[0], lq = query.shape[1], lk = key.shape[1], e = embedDim
        let q = arena.run(qProj, query.reshaped([b * lq, e]), workspace)
        let k = arena.run(kProj, key.reshaped([b * lk, e]), workspace)
        let v = arena.run(vProj, value.reshaped([b * lk, e]), workspace)
        let o = arena.tensor([b * lq, e])
        let g = AttentionGeometry(batch: b, heads: numHeads, queries: lq, keys: lk, headDim: headDim)
        FlashAttention.attention(g, q: q.pointer, k: k.pointer, v: v.pointer, keyPaddingMask: keyPaddingMask, o: o.pointer,
                                 workspace: workspace, slot: workspaceSlot)
        return arena.run(outProj, o, workspace).reshaped([b, lq, e])
    }
}

/// A weight tensor of the wrong shape for a layer.
public struct LayerShapeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
