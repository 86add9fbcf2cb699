import Foundation
import ZooNN

/// A DETR checkpoint opened for strict loading: tensors by their Hugging Face `DetrForObjectDetection` key, every
/// one of which must be taken exactly once with the expected shape.
///
/// Keys are the names `save_pretrained` writes (transformers 5.x writes the hub layout: `…self_attn.out_proj.weight`,
/// `…layers.3.fc1.bias`); the names of the 5.x in-memory modules (`o_proj`, `layers.N.mlp.fc1`) are rewritten to
/// those by the ordered `renames` below — the one place where key names are mapped. The backbone's keys
/// (`model.backbone.conv_encoder.model.` + torchvision ResNet names: `conv1`, `bn1`, `layer1.0.downsample.1.running_var` …)
/// are left to the backbone loader.
public final class DETRCheckpoint {
    /// Ordered (pattern, replacement) rules from transformers 5.x module names to checkpoint names.
    static let renames: [(String, String)] = [
        (#"\.o_proj\."#, ".out_proj."),
        (#"(layers\.\d+)\.mlp\.(fc\d)\."#, "$1.$2."),
        (#"^model\.backbone\.model\."#, "model.backbone.conv_encoder.model."),
    ]
    /// Where the torchvision-named ResNet of a timm-backbone checkpoint lives (`…model.layer1.0.conv1.weight`).
    public static let backbonePrefix = "model.backbone.conv_encoder.model."

    /// Ordered rules from the original facebookresearch/detr state_dict (`detr-r50-e632da11.pth`, `models/detr.py` +
    /// `models/transformer.py`, post-norm: no encoder norm) to the HF names; packed `in_proj_weight/bias` are split
    /// into `q_proj`, `k_proj`, `v_proj` afterwards (rows q, k, v, as `nn.MultiheadAttention` packs them).
    static let originalRenames: [(String, String)] = [
        (#"^backbone\.0\.body\."#, "model.backbone.conv_encoder.model."),
        (#"^input_proj\."#, "model.input_projection."),
        (#"^query_embed\."#, "model.query_position_embeddings."),
        (#"^transformer\.decoder\.norm\."#, "model.decoder.layernorm."),
        (#"^transformer\.(encoder|decoder)\.layers\."#, "model.$1.layers."),
        (#"\.multihead_attn\."#, ".encoder_attn."),
        (#"\.linear1\."#, ".fc1."),
        (#"\.linear2\."#, ".fc2."),
        (#"(encoder\.layers\.\d+)\.norm1\."#, "$1.self_attn_layer_norm."),
        (#"(encoder\.layers\.\d+)\.norm2\."#, "$1.final_layer_norm."),
        (#"(decoder\.layers\.\d+)\.norm1\."#, "$1.self_attn_layer_norm."),
        (#"(decoder\.layers\.\d+)\.norm2\."#, "$1.encoder_attn_layer_norm."),
        (#"(decoder\.layers\.\d+)\.norm3\."#, "$1.final_layer_norm."),
        (#"^class_embed\."#, "class_labels_classifier."),
        (#"^bbox_embed\.layers\."#, "bbox_predictor.layers."),
    ]

    public let file: String
    private var tensors: [String: Tensor]
    private var taken: Set<String> = []

    /// Reads every tensor of a safetensors file (F32/F16/BF16 converted to Float32).
    public convenience init(safetensors url: URL) throws {
        let st = try SafeTensors(contentsOf: url)
        var all: [String: Tensor] = [:]
        for name in st.names { all[name] = try st.tensor(name) }
        try self.init(tensors: all, file: url.lastPathComponent)
    }

    /// Wraps tensors keyed by checkpoint or 5.x module names (renamed here); two names mapping to one key are an error.
    public init(tensors: [String: Tensor], file: String) throws {
        self.file = file
        var out: [String: Tensor] = [:]
        for (name, t) in tensors {
            var key = name
            for (pattern, replacement) in Self.renames {
                key = key.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
            }
            guard out[key] == nil else { throw DETRWeightsError("\(file): '\(name)' and another key both name '\(key)'") }
            out[key] = t
        }
        self.tensors = out
    }

    /// Wraps an original facebookresearch/detr `model` state_dict (keys as in `detr-r50-e632da11.pth`), renamed by
    /// `originalRenames` and with packed attention projections split, so it loads through the same code.
    public convenience init(originalDETR tensors: [String: Tensor], file: String) throws {
        var out: [String: Tensor] = [:]
        func put(_ k: String, _ t: Tensor) throws {
            guard out[k] == nil else { throw DETRWeightsError("\(file): two keys map to '\(k)'") }
            out[k] = t
        }
        for (name, t) in tensors {
            var key = name
            for (pattern, replacement) in Self.originalRenames {
                key = key.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
            }
            if key.hasSuffix(".in_proj_weight") || key.hasSuffix(".in_proj_bias") {
                let isWeight = key.hasSuffix("weight"), stem = String(key.dropLast(isWeight ? 15 : 13))
                guard t.shape.first.map({ $0 % 3 == 0 }) == true, t.rank == (isWeight ? 2 : 1) else {
                    throw DETRWeightsError("\(file): '\(name)' has shape \(t.shape), expected [3·E\(isWeight ? ", E" : "")]")
                }
                let part = t.count / 3, shape = [t.shape[0] / 3] + t.shape.dropFirst()
                for (i, proj) in ["q_proj", "k_proj", "v_proj"].enumerated() {
                    let p = Tensor(zeros: shape)
                    p.pointer.update(from: t.pointer + i * part, count: part)
                    try put("\(stem).\(proj).\(isWeight ? "weight" : "bias")", p)
                }
                continue
            }
            try put(key, t)
        }
        try self.init(tensors: out, file: file)
    }

    /// Opens a DETR checkpoint by its content: a safetensors file (HF `DetrForObjectDetection`, `model.safetensors`) or a
    /// torch `.pth`/`.pt` (zip or legacy) holding either the original facebookresearch/detr state_dict — plain, or
    /// wrapped as `{"model": state_dict, …}` like `detr-r50-e632da11.pth` (only the `model` entry is read) — or an HF
    /// state_dict (`torch.save(model.state_dict())`, 5.x module names).
    public static func open(_ url: URL) throws -> DETRCheckpoint {
        let head = (try? FileHandle(forReadingFrom: url)).flatMap { h in defer { try? h.close() }; return try? h.read(upToCount: 9) } ?? Data()
        // safetensors: an 8-byte little-endian header length, then the JSON header.
        if url.pathExtension.lowercased() == "safetensors" || (head.count == 9 && head[8] == UInt8(ascii: "{")) {
            return try DETRCheckpoint(safetensors: url)
        }
        let sd = try TorchPickle.loadStateDict(contentsOf: url)
        var tensors: [String: Tensor] = [:]
        let original = sd.names.contains { n in ["backbone.0.", "transformer.", "model.backbone.0.", "model.transformer."].contains { n.hasPrefix($0) } }
        let wrapped = original && sd.names.contains { $0.hasPrefix("model.backbone.0.") || $0.hasPrefix("model.transformer.") }
        for n in sd.names {
            if wrapped {
                guard n.hasPrefix("model.") else { continue }   // optimizer, epoch, args: not the model
                tensors[String(n.dropFirst(6))] = try sd.tensor(n)
            } else {
                tensors[n] = try sd.tensor(n)
            }
        }
        let file = url.lastPathComponent
        return original ? try DETRCheckpoint(originalDETR: tensors, file: file) : try DETRCheckpoint(tensors: tensors, file: file)
    }

    /// Every key (after renaming), sorted.
    public var keys: [String] { tensors.keys.sorted() }

    /// The shape of `key`, if present.
    public func shape(_ key: String) -> [Int]? { tensors[key]?.shape }

    /// Whether the checkpoint holds `key`.
    public func contains(_ key: String) -> Bool { tensors[key] != nil }

    /// The tensor `key`, which must have `shape`.
    public func take(_ key: String, _ shape: [Int]) throws -> Tensor {
        guard let t = tensors[key] else { throw DETRWeightsError("\(file): missing key '\(key)' (expected shape \(shape))") }
        guard t.shape == shape else { throw DETRWeightsError("\(file): '\(key)' has shape \(t.shape), expected \(shape)") }
        if let p = WeightLimits.nonFiniteProblem(t.pointer, count: t.count) { throw DETRWeightsError("\(file): '\(key)': \(p)") }
        taken.insert(key)
        return t
    }

    /// Loads `prefix.weight` `[out, in]` and `prefix.bias` `[out]` into a `Linear`.
    public func linear(_ prefix: String, in inF: Int, out outF: Int, activation: Activation = .linear) throws -> Linear {
        var l = Linear(inFeatures: inF, outFeatures: outF, activation: activation)
        l.weight = try take("\(prefix).weight", [outF, inF])
        l.bias = try take("\(prefix).bias", [outF])
        return l
    }

    /// Loads `prefix.weight` / `prefix.bias` `[dim]` into a `LayerNorm` (eps 1e-5, PyTorch's default).
    public func layerNorm(_ prefix: String, dim: Int) throws -> LayerNorm {
        var n = LayerNorm(normalizedShape: [dim])
        n.weight = try take("\(prefix).weight", [dim])
        n.bias = try take("\(prefix).bias", [dim])
        return n
    }

    /// Loads HF attention projections `prefix.{q,k,v,out}_proj`.
    public func attention(_ prefix: String, dim: Int, heads: Int) throws -> MultiheadAttention {
        var a = MultiheadAttention(embedDim: dim, numHeads: heads)
        a.qProj = try linear("\(prefix).q_proj", in: dim, out: dim)
        a.kProj = try linear("\(prefix).k_proj", in: dim, out: dim)
        a.vProj = try linear("\(prefix).v_proj", in: dim, out: dim)
        a.outProj = try linear("\(prefix).out_proj", in: dim, out: dim)
        return a
    }

    /// Every tensor under `prefix` (e.g. `backbonePrefix`), keyed without it, marked as taken: hand them to a strict
    /// loader of that module (the torchvision ResNet keys `conv1.weight`, `layer1.0.downsample.1.running_var` …).
    public func takeAll(prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, t) in tensors where k.hasPrefix(prefix) {
            out[String(k.dropFirst(prefix.count))] = t
            taken.insert(k)
        }
        return out
    }

    /// Keys not taken, except those under `ignoring` prefixes (e.g. a backbone loaded elsewhere).
    public func unusedKeys(ignoring prefixes: [String] = []) -> [String] {
        tensors.keys.filter { k in !taken.contains(k) && !prefixes.contains { k.hasPrefix($0) } }.sorted()
    }

    /// Throws when a key other than those under `ignoring` was not taken (strict loading).
    public func finish(ignoring prefixes: [String] = []) throws {
        let left = unusedKeys(ignoring: prefixes)
        guard left.isEmpty else {
            throw DETRWeightsError("\(file): \(left.count) unused key(s), first '\(left[0])'")
        }
    }
}

/// A DETR checkpoint that does not fit the architecture; names the file and the key.
public struct DETRWeightsError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ d: String) { description = d }
    public var errorDescription: String? { description }
}
