import Foundation
import ZooNN

/// RT-DETR's attention-based intra-scale feature interaction (HF transformers 5.23 `RTDetrAIFILayer`): the last
/// feature map's cells as tokens through post-norm transformer encoder layers (`RTDetrEncoderLayer`: `h = LN(h +
/// attn(q = k = h + pos, v = h))`, `h = LN(h + fc2(gelu(fc1(h))))`) with the fixed 2-D sin-cos position embedding
/// (`build_2d_sinusoidal_position_embedding`, temperature 10000: per cell `[sin(y·ω) | cos(y·ω) | sin(x·ω) | cos(x·ω)]`,
/// `ω_i = 10000^(−i / (d/4))`, computed in Double as HF does in float64). Keys `<path>.layers.N.{self_attn.{q,k,v,out}_proj,
/// self_attn_layer_norm, fc1, fc2, final_layer_norm}` (the hub layout `model.encoder.encoder.0`; HF's in-memory
/// module is `aifi.0`). Input and output `B, d, h, w`.
public final class RTDetrAIFILayer {
    public struct EncoderLayer {
        public var selfAttn: MultiheadAttention, selfAttnLayerNorm: LayerNorm
        public var mlp: FeedForward, finalLayerNorm: LayerNorm
    }

    public let dim: Int, temperature: Double
    public let layers: [EncoderLayer]
    /// The position embedding of the last shape seen, `h·w, d` (rebuilt only when the shape changes).
    private var position: (h: Int, w: Int, table: Tensor)?

    public init(_ w: inout TorchWeightImporter, _ path: String, dim d: Int, heads: Int, activation: Activation = .gelu,
                temperature: Double = 10000) throws {
        guard d % 4 == 0 else { throw TorchPickleError(file: w.stateDict.file, "\(path): width \(d) is not a multiple of 4 (2-D sin-cos embedding)") }
        dim = d; self.temperature = temperature
        var layers: [EncoderLayer] = []
        while w.has("\(path).layers.\(layers.count).fc1.weight") {
            let p = "\(path).layers.\(layers.count)"
            guard let fc1 = w.shape("\(p).fc1.weight"), fc1.count == 2 else { break }
            var f = FeedForward(embedDim: d, hiddenDim: fc1[0], activation: activation)
            f.fc1 = try w.linear("\(p).fc1", in: d, out: fc1[0], activation: activation)
            f.fc2 = try w.linear("\(p).fc2", in: fc1[0], out: d)
            layers.append(EncoderLayer(selfAttn: try w.attention("\(p).self_attn", dim: d, heads: heads),
                                       selfAttnLayerNorm: try w.layerNorm("\(p).self_attn_layer_norm", dim: d),
                                       mlp: f, finalLayerNorm: try w.layerNorm("\(p).final_layer_norm", dim: d)))
        }
        guard !layers.isEmpty else { throw TorchPickleError(file: w.stateDict.file, "\(path).layers.0: no encoder layer") }
        self.layers = layers
    }

    /// `h·w, d` sin-cos table, row-major cells.
    public static func positionEmbedding(height h: Int, width w: Int, dim d: Int, temperature: Double = 10000) -> Tensor {
        let q = d / 4
        let t = Tensor(zeros: [h * w, d])
        let omega = (0..<q).map { 1 / pow(temperature, Double($0) / Double(q)) }
        for y in 0..<h { for x in 0..<w {
            let row = t.pointer + (y * w + x) * d
            for i in 0..<q {
                let a = Double(y) * omega[i], b = Double(x) * omega[i]
                row[i] = Float(sin(a)); row[q + i] = Float(cos(a)); row[2 * q + i] = Float(sin(b)); row[3 * q + i] = Float(cos(b))
            }
        } }
        return t
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        let b = x.shape[0], h = x.shape[2], w = x.shape[3], cells = h * w, d = dim
        precondition(x.shape[1] == d, "RTDetrAIFILayer: map \(x.shape), expected \(d) channels")
        if position == nil || position!.h != h || position!.w != w {
            position = (h, w, Self.positionEmbedding(height: h, width: w, dim: d, temperature: temperature))
        }
        let arena = ctx.arena, ws = ctx.workspace
        let pos = arena.tensor([b, cells, d])
        for i in 0..<b { (pos.pointer + i * cells * d).update(from: position!.table.pointer, count: cells * d) }
        var t = arena.tensor([b, cells, d])
        Ops.permute(x.reshaped([b, d, cells]), [0, 2, 1], into: t)
        for layer in layers {
            let qk = arena.add(t, pos)
            let a = layer.selfAttn(query: qk, key: qk, value: t, arena: arena, workspace: ws)
            t = ctx(layer.selfAttnLayerNorm, arena.add(t, a))
            t = ctx(layer.finalLayerNorm, arena.add(t, layer.mlp(t, arena: arena, workspace: ws)))
        }
        let y = arena.tensor([b, d, h, w])
        Ops.permute(t, [0, 2, 1], into: y.reshaped([b, d, cells]))
        return y
    }
}
