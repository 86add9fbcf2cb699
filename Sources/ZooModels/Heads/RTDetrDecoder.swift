import Foundation
import ZooNN

/// RT-DETR's query selection and decoder (HF transformers 5.23 `RTDetrModel` after the hybrid encoder, and
/// `RTDetrDecoder` with the heads `RTDetrForObjectDetection` attaches to it):
///
/// 1. `decoder_input_proj.L` (1×1 conv + BN) on each encoder map, flattened and concatenated finest first: the
///    memory `B, S, d` (S = Σ h_l·w_l) the deformable attention samples.
/// 2. Anchors per cell (`generate_anchors`, grid size 0.05): `((x + ½)/w_l, (y + ½)/h_l, 0.05·2^l, 0.05·2^l)`, valid
///    when every coordinate is in (0.01, 0.99), as logits `log(a / (1 − a))` (invalid: `Float.greatestFiniteMagnitude`).
/// 3. `enc_output` (Linear + LayerNorm) on the memory with invalid cells zeroed; `enc_score_head` → best class score
///    per cell → the top `queries` cells (descending; ties: lower cell first); for those cells `enc_bbox_head`
///    (3-layer MLP) + anchor = the initial reference logits, and their `enc_output` rows the initial queries (or the
///    learned `weight_embedding` when the checkpoint has one: `learn_initial_query`).
/// 4. Per decoder layer `i`: `pos = query_pos_head(ref)` (4 → 2d → d, ReLU between), the layer on `(h, pos, ref)`,
///    then `ref = sigmoid(bbox_embed_i(h) + inverse_sigmoid(ref))` (eps 1e-5) and `logits_i = class_embed_i(h)`.
///
/// Keys (the checkpoint's `model.` dropped): `decoder_input_proj.L.{0,1}`, `enc_output.{0,1}`, `enc_score_head`,
/// `enc_bbox_head.layers.{0,1,2}`, `decoder.query_pos_head.layers.{0,1}`, `decoder.layers.N.*` (`RTDetrDecoderLayer`),
/// `decoder.class_embed.N`, `decoder.bbox_embed.N.layers.{0,1,2}`, optional `weight_embedding.weight`.
public final class RTDetrDecoder {
    public let dim: Int, classes: Int, queries: Int
    public let inputProjections: [Conv2d]
    public let encOutput: Linear, encOutputNorm: LayerNorm
    public let encScoreHead: Linear
    public let encBboxHead: [Linear]
    /// `queries, d` learned initial queries, or nil (queries taken from the encoder output).
    public let weightEmbedding: Tensor?
    public let queryPosHead: [Linear]
    public let layers: [RTDetrDecoderLayer]
    public let classEmbed: [Linear]
    public let bboxEmbed: [[Linear]]
    /// Anchor logits of the last level shapes seen (`S, 4`) and validity (`S`), rebuilt when the shapes change.
    private var anchorCache: (levels: [Int], anchors: [Float], valid: [Bool])?

    /// Every stage of one pass (arena buffers: valid until the next pass).
    public struct Output {
        /// `B, S, d`: the projected, flattened encoder maps (HF `source_flatten`).
        public var memory: Tensor
        public var levels: [(h: Int, w: Int)]
        /// The selected cells (row `b·queries + q`), HF `topk_ind`.
        public var queryIndices: [Int]
        /// `B, Q, 4` reference logits before the first layer (HF `init_reference_points`).
        public var initReferencePoints: Tensor
        /// Per layer: the deformable attention's output, the layer's output, the refined boxes (sigmoid `cx, cy, w, h`),
        /// the class logits `B, Q, classes`.
        public var crossAttention: [Tensor], hidden: [Tensor], referencePoints: [Tensor], logits: [Tensor]
    }

    public init(_ w: inout TorchWeightImporter, levels: Int, heads: Int = 8, queries defaultQueries: Int = 300) throws {
        let file = w.stateDict.file
        guard let p0 = w.shape("decoder_input_proj.0.0.weight"), p0.count == 4, let cls = w.shape("enc_score_head.weight"), cls.count == 2 else {
            throw TorchPickleError(file: file, "decoder_input_proj.0.0.weight or enc_score_head.weight missing: not an RT-DETR checkpoint")
        }
        let d = p0[0]
        dim = d; classes = cls[0]
        var n = 0
        while w.has("decoder_input_proj.\(n).0.weight") { n += 1 }
        guard n == levels else {
            throw TorchPickleError(file: file, "decoder_input_proj has \(n) levels, the encoder gives \(levels) (extra stride-2 levels are not supported)")
        }
        inputProjections = try (0..<levels).map { l in
            guard let s = w.shape("decoder_input_proj.\(l).0.weight"), s.count == 4, s[0] == d, s[2] == 1, s[3] == 1 else {
                throw TorchPickleError(file: file, "decoder_input_proj.\(l).0.weight: expected a 1×1 conv to \(d) channels")
            }
            return try w.convBN("decoder_input_proj.\(l).0", "decoder_input_proj.\(l).1", in: s[1], out: d, kernel: 1)
        }
        encOutput = try w.linear("enc_output.0", in: d, out: d)
        encOutputNorm = try w.layerNorm("enc_output.1", dim: d)
        encScoreHead = try w.linear("enc_score_head", in: d, out: classes)
        encBboxHead = try Self.mlp(&w, "enc_bbox_head", dim: d)
        if let e = w.shape("weight_embedding.weight") {
            guard e.count == 2, e[1] == d, e[0] > 0 else { throw TorchPickleError(file: file, "weight_embedding.weight has shape \(e), expected [queries, \(d)]") }
            weightEmbedding = try w.tensor("weight_embedding.weight", shape: e)
            queries = e[0]
        } else {
            weightEmbedding = nil
            queries = defaultQueries
        }
        queryPosHead = [try w.linear("decoder.query_pos_head.layers.0", in: 4, out: 2 * d, activation: .relu),
                        try w.linear("decoder.query_pos_head.layers.1", in: 2 * d, out: d)]
        var layers: [RTDetrDecoderLayer] = [], classEmbed: [Linear] = [], bboxEmbed: [[Linear]] = []
        while w.has("decoder.layers.\(layers.count).fc1.weight") {
            let i = layers.count
            layers.append(try RTDetrDecoderLayer(&w, "decoder.layers.\(i)", dim: d, heads: heads, levels: levels))
            classEmbed.append(try w.linear("decoder.class_embed.\(i)", in: d, out: classes))
            bboxEmbed.append(try Self.mlp(&w, "decoder.bbox_embed.\(i)", dim: d))
        }
        guard !layers.isEmpty else { throw TorchPickleError(file: file, "decoder.layers.0: no decoder layer") }
        self.layers = layers; self.classEmbed = classEmbed; self.bboxEmbed = bboxEmbed
    }

    /// `<path>.layers.{0,1,2}`: d → d → d → 4, ReLU between (`RTDetrMLPPredictionHead`, 3 layers).
    static func mlp(_ w: inout TorchWeightImporter, _ path: String, dim d: Int) throws -> [Linear] {
        [try w.linear("\(path).layers.0", in: d, out: d, activation: .relu),
         try w.linear("\(path).layers.1", in: d, out: d, activation: .relu),
         try w.linear("\(path).layers.2", in: d, out: 4)]
    }

    /// Anchor logits `S, 4` and validity for `levels` (HF `_cached_generate_anchors` in float32).
    func anchors(_ levels: [(h: Int, w: Int)]) -> (anchors: [Float], valid: [Bool]) {
        let key = levels.flatMap { [$0.h, $0.w] }
        if let c = anchorCache, c.levels == key { return (c.anchors, c.valid) }
        var anchors: [Float] = [], valid: [Bool] = []
        let eps: Float = 1e-2
        for (l, lv) in levels.enumerated() {
            let wh = Float(0.05) * Float(1 << l)
            for y in 0..<lv.h { for x in 0..<lv.w {
                let a = [(Float(x) + 0.5) / Float(lv.w), (Float(y) + 0.5) / Float(lv.h), wh, wh]
                let ok = a.allSatisfy { $0 > eps && $0 < 1 - eps }
                valid.append(ok)
                anchors += a.map { ok ? logf($0 / (1 - $0)) : Float.greatestFiniteMagnitude }
            } }
        }
        anchorCache = (key, anchors, valid)
        return (anchors, valid)
    }

    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    /// HF `inverse_sigmoid` (eps 1e-5): `log(max(x, eps) / max(1 − x, eps))` with `x` clamped to 0…1.
    @inline(__always) static func inverseSigmoid(_ v: Float) -> Float {
        let x = min(max(v, 0), 1)
        return logf(max(x, 1e-5) / max(1 - x, 1e-5))
    }

    /// The decoder on the hybrid encoder's maps (`B, d_enc, h_l, w_l`, finest first).
    public func callAsFunction(_ maps: [Tensor], _ ctx: ForwardContext) throws -> Output {
        precondition(maps.count == inputProjections.count, "RTDetrDecoder: \(maps.count) maps, expected \(inputProjections.count)")
        let arena = ctx.arena, d = dim, b = maps[0].shape[0]
        let levels = maps.map { (h: $0.shape[2], w: $0.shape[3]) }
        let s = levels.reduce(0) { $0 + $1.h * $1.w }
        guard s >= queries else {
            throw LayerShapeError("RTDetrDecoder: \(s) encoder cells for \(queries) queries: the input is too small")
        }
        // 1. Memory `B, S, d`.
        let memory = arena.tensor([b, s, d])
        var start = 0
        for (l, m) in maps.enumerated() {
            let p = ctx(inputProjections[l], m), hw = levels[l].h * levels[l].w
            for bi in 0..<b { for c in 0..<d {
                let src = p.pointer + (bi * d + c) * hw, dst = memory.pointer + (bi * s + start) * d + c
                for i in 0..<hw { dst[i * d] = src[i] }
            } }
            start += hw
        }
        // 2–3. Query selection.
        let (anchors, valid) = anchors(levels)
        let masked = arena.tensor([b * s, d])
        masked.pointer.update(from: memory.pointer, count: b * s * d)
        for bi in 0..<b { for i in 0..<s where !valid[i] { (masked.pointer + (bi * s + i) * d).update(repeating: 0, count: d) } }
        let outputMemory = ctx(encOutputNorm, ctx(encOutput, masked))
        let scores = ctx(encScoreHead, outputMemory)
        let q = queries
        var indices: [Int] = []
        indices.reserveCapacity(b * q)
        var best = [Float](repeating: 0, count: s)
        for bi in 0..<b {
            for i in 0..<s {
                let row = scores.pointer + (bi * s + i) * classes
                var m = row[0]
                for c in 1..<classes { m = max(m, row[c]) }
                best[i] = m
            }
            let order = Array(0..<s).sorted { best[$0] > best[$1] || (best[$0] == best[$1] && $0 < $1) }
            indices += order.prefix(q)
        }
        let selected = arena.tensor([b * q, d])
        for (r, i) in indices.enumerated() {
            let bi = r / q
            (selected.pointer + r * d).update(from: outputMemory.pointer + (bi * s + i) * d, count: d)
        }
        var coord = selected
        for l in encBboxHead { coord = ctx(l, coord) }
        let initRef = arena.tensor([b, q, 4])
        var ref = arena.tensor([b, q, 4])
        for (r, i) in indices.enumerated() {
            for k in 0..<4 {
                let v = coord.pointer[r * 4 + k] + anchors[i * 4 + k]
                initRef.pointer[r * 4 + k] = v
                ref.pointer[r * 4 + k] = Self.sigmoid(v)
            }
        }
        var h: Tensor
        if let weightEmbedding {
            h = arena.tensor([b, q, d])
            for bi in 0..<b { (h.pointer + bi * q * d).update(from: weightEmbedding.pointer, count: q * d) }
        } else {
            h = selected.reshaped([b, q, d])
        }
        try Interruption.check()
        // 4. Decoder layers with iterative box refinement.
        var out = Output(memory: memory, levels: levels, queryIndices: indices, initReferencePoints: initRef,
                         crossAttention: [], hidden: [], referencePoints: [], logits: [])
        for (i, layer) in layers.enumerated() {
            var pos = ref.reshaped([b * q, 4])
            for l in queryPosHead { pos = ctx(l, pos) }
            let (next, cross) = layer(h, position: pos.reshaped([b, q, d]), memory: memory, levels: levels,
                                      referenceBoxes: ref.reshaped([b, q, 1, 4]), ctx)
            h = next
            var delta = h.reshaped([b * q, d])
            for l in bboxEmbed[i] { delta = ctx(l, delta) }
            let newRef = arena.tensor([b, q, 4])
            for j in 0..<(b * q * 4) { newRef.pointer[j] = Self.sigmoid(delta.pointer[j] + Self.inverseSigmoid(ref.pointer[j])) }
            ref = newRef
            out.crossAttention.append(cross); out.hidden.append(h); out.referencePoints.append(newRef)
            out.logits.append(ctx(classEmbed[i], h.reshaped([b * q, d])).reshaped([b, q, classes]))
            try Interruption.check()
        }
        return out
    }
}
