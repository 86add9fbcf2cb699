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
