import ZooNN

/// DETR's transformer: 1×1 input projection of the backbone's last map, sine position embedding, a post-norm encoder
/// over the `h·w` cells and a post-norm decoder over `numQueries` learned query slots, with a final decoder LayerNorm.
/// Port of HF transformers 5.23 `DetrModel` (minus the backbone): `DetrEncoderLayer`, `DetrDecoderLayer`,
/// `DetrDecoder.layernorm`, `DetrSinePositionEmbedding(d_model / 2, normalize=True)`, `query_position_embeddings`.
///
/// Input: feature map `B, C, h, w` and an optional feature mask of `B·h·w` bytes (non-zero = valid cell, HF's
/// `pixel_mask` downsampled). Output (see `Output`): encoder memory `B, h·w, d`, decoder states `B, Q, d`.
public final class DETRTransformer {
    public struct Config: Sendable, Equatable {
        public var dModel: Int, heads: Int, ffnDim: Int, encoderLayers: Int, decoderLayers: Int, numQueries: Int
        public var activation: Activation
        public init(dModel: Int, heads: Int, ffnDim: Int, encoderLayers: Int = 6, decoderLayers: Int = 6, numQueries: Int = 100,
                    activation: Activation = .relu) {
            self.dModel = dModel; self.heads = heads; self.ffnDim = ffnDim; self.encoderLayers = encoderLayers
            self.decoderLayers = decoderLayers; self.numQueries = numQueries; self.activation = activation
        }
        /// `DetrConfig()` defaults: facebook/detr-resnet-50 and -101.
        public static let detr = Config(dModel: 256, heads: 8, ffnDim: 2048)
    }

    /// `model.encoder.layers.N`: `h = LN(h + self_attn(q = k = h + pos, v = h))`, `h = LN(h + fc2(relu(fc1(h))))`.
    public struct EncoderLayer {
        public var selfAttn: MultiheadAttention, selfAttnLayerNorm: LayerNorm
        public var mlp: FeedForward, finalLayerNorm: LayerNorm
    }

    /// `model.decoder.layers.N`: self-attention (query position on q and k), cross-attention (query position on q,
    /// spatial position on k, memory as v), FFN; each followed by residual + LayerNorm.
    public struct DecoderLayer {
        public var selfAttn: MultiheadAttention, selfAttnLayerNorm: LayerNorm
        public var encoderAttn: MultiheadAttention, encoderAttnLayerNorm: LayerNorm
        public var mlp: FeedForward, finalLayerNorm: LayerNorm
    }

    /// What one pass produces (arena buffers: valid until the next pass).
    public struct Output {
        /// Spatial position embeddings `B, h·w, d`.
        public var position: Tensor
        /// Encoder output `B, h·w, d` (HF `encoder_last_hidden_state`).
        public var memory: Tensor
        /// Output of every decoder layer before the final LayerNorm, `B, Q, d` each (HF `decoder_hidden_states[1...]`,
        /// except that HF reports the last one after the final LayerNorm).
        public var decoderLayers: [Tensor]
        /// Final decoder states after `model.decoder.layernorm`, `B, Q, d` (HF `last_hidden_state`).
        public var hidden: Tensor
    }

    public let config: Config
    public let inChannels: Int
    public var inputProjection: Conv2d
    public var positionEmbedding: PositionEmbeddingSine
    /// `model.query_position_embeddings.weight`, `Q, d`.
    public var queryPositionEmbeddings: Tensor
    public var encoder: [EncoderLayer]
    public var decoder: [DecoderLayer]
    public var decoderLayerNorm: LayerNorm
    /// Key padding bytes of the last pass (reused: no allocation per pass at one shape).
    private var padding: [UInt8] = []

    /// Loads every `model.*` transformer key of an HF checkpoint (the backbone's keys are left to the backbone).
    public init(_ w: DETRCheckpoint, config c: Config, inChannels: Int) throws {
        config = c; self.inChannels = inChannels
        let d = c.dModel
        inputProjection = Conv2d(inChannels: inChannels, outChannels: d, kernel: (1, 1))
        inputProjection.weight = try w.take("model.input_projection.weight", [d, inChannels, 1, 1])
        inputProjection.bias = try w.take("model.input_projection.bias", [d])
        positionEmbedding = PositionEmbeddingSine(numPosFeats: d / 2)
        queryPositionEmbeddings = try w.take("model.query_position_embeddings.weight", [c.numQueries, d])
        func ffn(_ p: String) throws -> FeedForward {
            var f = FeedForward(embedDim: d, hiddenDim: c.ffnDim, activation: c.activation)
            f.fc1 = try w.linear("\(p).fc1", in: d, out: c.ffnDim, activation: c.activation)
            f.fc2 = try w.linear("\(p).fc2", in: c.ffnDim, out: d)
            return f
        }
        encoder = try (0..<c.encoderLayers).map { i in
            let p = "model.encoder.layers.\(i)"
            return EncoderLayer(selfAttn: try w.attention("\(p).self_attn", dim: d, heads: c.heads),
                                selfAttnLayerNorm: try w.layerNorm("\(p).self_attn_layer_norm", dim: d),
                                mlp: try ffn(p), finalLayerNorm: try w.layerNorm("\(p).final_layer_norm", dim: d))
        }
        decoder = try (0..<c.decoderLayers).map { i in
            let p = "model.decoder.layers.\(i)"
            return DecoderLayer(selfAttn: try w.attention("\(p).self_attn", dim: d, heads: c.heads),
                                selfAttnLayerNorm: try w.layerNorm("\(p).self_attn_layer_norm", dim: d),
                                encoderAttn: try w.attention("\(p).encoder_attn", dim: d, heads: c.heads),
                                encoderAttnLayerNorm: try w.layerNorm("\(p).encoder_attn_layer_norm", dim: d),
                                mlp: try ffn(p), finalLayerNorm: try w.layerNorm("\(p).final_layer_norm", dim: d))
        }
        decoderLayerNorm = try w.layerNorm("model.decoder.layernorm", dim: d)
    }

    /// Runs projection → position embedding → encoder → decoder. `validMask`: `B·h·w` bytes, non-zero = valid cell
    /// (nil: every cell valid); a batch item with no valid cell gets zero attention outputs (see `FlashAttention`).
    public func callAsFunction(_ feature: Tensor, validMask: [UInt8]?, _ ctx: ForwardContext) -> Output {
        precondition(feature.rank == 4 && feature.shape[1] == inChannels, "DETRTransformer: feature map \(feature.shape), expected [B, \(inChannels), h, w]")
        let b = feature.shape[0], h = feature.shape[2], w = feature.shape[3], cells = h * w, d = config.dModel, q = config.numQueries
        if let validMask { precondition(validMask.count == b * cells, "DETRTransformer: mask of \(validMask.count) bytes for \(b * cells) cells") }
        let arena = ctx.arena, ws = ctx.workspace

        // input_projection, then flatten(2).transpose(1, 2): B, d, h, w → B, h·w, d.
        let projected = ctx(inputProjection, feature)
        let src = arena.tensor([b, cells, d])
        Self.transposeChannelsLast(projected.pointer, src.pointer, batch: b, channels: d, cells: cells)
        let pos = arena.tensor([b, cells, d])
        validMask.withOptionalPointer { positionEmbedding.embed(batch: b, height: h, width: w, mask: $0, into: pos.pointer) }
        if let validMask {
            if padding.count != validMask.count { padding = [UInt8](repeating: 0, count: validMask.count) }
            for i in 0..<validMask.count { padding[i] = validMask[i] == 0 ? 1 : 0 }
        }

        return (validMask == nil ? nil : padding).withOptionalPointer { keyPadding in
            var x = src
            for layer in encoder {
                let qk = arena.add(x, pos)
                let a = layer.selfAttn(query: qk, key: qk, value: x, keyPaddingMask: keyPadding, arena: arena, workspace: ws)
                x = ctx(layer.selfAttnLayerNorm, arena.add(x, a))
                x = ctx(layer.finalLayerNorm, arena.add(x, layer.mlp(x, arena: arena, workspace: ws)))
            }
            let memory = x
            let memoryKeys = arena.add(memory, pos)
            let queryPos = arena.tensor([b, q, d])
            for i in 0..<b { (queryPos.pointer + i * q * d).update(from: queryPositionEmbeddings.pointer, count: q * d) }
            var t = arena.tensor([b, q, d])
            t.fill(0)
            var layers: [Tensor] = []
            layers.reserveCapacity(decoder.count)
            for layer in decoder {
                let qk = arena.add(t, queryPos)
                let s = layer.selfAttn(query: qk, key: qk, value: t, arena: arena, workspace: ws)
                t = ctx(layer.selfAttnLayerNorm, arena.add(t, s))
                let cq = arena.add(t, queryPos)
                let c = layer.encoderAttn(query: cq, key: memoryKeys, value: memory, keyPaddingMask: keyPadding, arena: arena, workspace: ws)
                t = ctx(layer.encoderAttnLayerNorm, arena.add(t, c))
                t = ctx(layer.finalLayerNorm, arena.add(t, layer.mlp(t, arena: arena, workspace: ws)))
                layers.append(t)
            }
            return Output(position: pos, memory: memory, decoderLayers: layers, hidden: ctx(decoderLayerNorm, t))
        }
    }

    /// `B, C, N` → `B, N, C`.
    static func transposeChannelsLast(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channels: Int, cells: Int) {
        for b in 0..<batch {
            let s = x + b * channels * cells, dst = y + b * channels * cells
            for c in 0..<channels { for n in 0..<cells { dst[n * channels + c] = s[c * cells + n] } }
        }
    }
}

extension Optional where Wrapped == [UInt8] {
    /// Calls `body` with a pointer to the bytes, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<UInt8>?) -> R) -> R {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
