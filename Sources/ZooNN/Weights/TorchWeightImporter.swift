/// Hands the tensors of a torch `state_dict` to a model written in Swift by their module paths, checking every
/// shape, and (at `finish()`) that every tensor of the file was used.
///
/// Keys map one-to-one to the reference module tree (`backbone.body.layer1.0.conv1.weight`); the only rewriting
/// is `keyRules`, applied in order to the file's keys when the importer is made. BatchNorm (plain or torchvision's
/// `FrozenBatchNorm2d`, same four tensors) is folded into the preceding convolution at load.
public struct TorchWeightImporter {
    public let stateDict: TorchStateDict
    private var used: Set<String> = []
    /// File key → model key after `keyRules`.
    private var renamed: [String: String] = [:]

    /// Rewrites of file keys, in order: `module.` (a `DataParallel` wrapper) and `model.` (a training checkpoint
    /// `{"model": state_dict, …}`) prefixes are dropped.
    public static let keyRules: [(prefix: String, replacement: String)] = [("module.", ""), ("model.", "")]

    public init(_ stateDict: TorchStateDict) {
        self.stateDict = stateDict
        for name in stateDict.names {
            var key = name
            for rule in Self.keyRules where key.hasPrefix(rule.prefix) { key = rule.replacement + key.dropFirst(rule.prefix.count) }
            renamed[key] = name
        }
    }

    private func fail(_ m: String) -> TorchPickleError { TorchPickleError(file: stateDict.file, m) }

    /// True when the file has `key`.
    public func has(_ key: String) -> Bool { renamed[key] != nil }

    /// The shape of tensor `key`, if the file has it (for models whose sizes follow the checkpoint, e.g. a class count).
    public func shape(_ key: String) -> [Int]? { renamed[key].flatMap { try? stateDict.tensor($0).shape } }

    /// The tensor `key`, which must have `shape`; marks it used.
    public mutating func tensor(_ key: String, shape: [Int]) throws -> Tensor {
        guard let name = renamed[key] else { throw fail("missing tensor \(key)") }
        used.insert(name)
        return try stateDict.tensor(name, shape: shape)
    }

    /// `<path>.weight` `[out, in/groups, k, k]` (+ `<path>.bias` `[out]` when `bias`) as a `Conv2d`.
    public mutating func conv2d(_ path: String, in inC: Int, out outC: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                                groups: Int = 1, bias: Bool, activation: Activation = .linear) throws -> Conv2d {
        guard groups > 0, inC % groups == 0, outC % groups == 0 else { throw fail("\(path): groups \(groups) must divide \(inC) and \(outC)") }
        var c = Conv2d(inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: padding, groups: groups,
                       bias: bias, activation: activation)
        c.weight = try tensor("\(path).weight", shape: [outC, inC / groups, kernel, kernel])
        if bias { c.bias = try tensor("\(path).bias", shape: [outC]) }
        return c
    }

    /// A BatchNorm's `<path>.{weight,bias,running_mean,running_var}` (and `num_batches_tracked`, if present, unused).
    public mutating func batchNorm(_ path: String, channels: Int, eps: Float = 1e-5) throws -> BatchNorm2d {
        var bn = BatchNorm2d(channels: channels, eps: eps)
        bn.weight = try tensor("\(path).weight", shape: [channels])
        bn.bias = try tensor("\(path).bias", shape: [channels])
        bn.runningMean = try tensor("\(path).running_mean", shape: [channels])
        bn.runningVar = try tensor("\(path).running_var", shape: [channels])
        for (i, v) in bn.runningVar.toArray().enumerated() where !(v + eps > 0) {
            throw fail("\(path).running_var[\(i)] is \(v): variance + eps must be positive")
        }
        if has("\(path).num_batches_tracked") { _ = try tensor("\(path).num_batches_tracked", shape: []) }
        return bn
    }

    /// A GroupNorm's `<path>.{weight,bias}` (`[channels]`), with `groups` groups and a fused `activation`.
    public mutating func groupNorm(_ path: String, groups: Int, channels: Int, eps: Float = 1e-5,
                                   activation: Activation = .linear) throws -> GroupNorm {
        guard groups > 0, channels % groups == 0 else { throw fail("\(path): \(groups) groups must divide \(channels) channels") }
        var gn = GroupNorm(groups: groups, channels: channels, eps: eps, activation: activation)
        gn.weight = try tensor("\(path).weight", shape: [channels])
        gn.bias = try tensor("\(path).bias", shape: [channels])
        return gn
    }

    /// A bias-free conv at `conv` followed by the BatchNorm at `bn`, folded into one `Conv2d`.
    public mutating func convBN(_ conv: String, _ bn: String, in inC: Int, out outC: Int, kernel: Int, stride: Int = 1,
                                padding: Int = 0, groups: Int = 1, activation: Activation = .linear, eps: Float = 1e-5) throws -> Conv2d {
        var c = try conv2d(conv, in: inC, out: outC, kernel: kernel, stride: stride, padding: padding, groups: groups,
                           bias: false, activation: activation)
        c.foldBatchNorm(try batchNorm(bn, channels: outC, eps: eps))
        return c
    }

    /// `<path>.weight` `[out, in]` and `<path>.bias` `[out]` as a `Linear`.
    public mutating func linear(_ path: String, in inF: Int, out outF: Int, activation: Activation = .linear) throws -> Linear {
        var l = Linear(inFeatures: inF, outFeatures: outF, activation: activation)
        l.weight = try tensor("\(path).weight", shape: [outF, inF])
        l.bias = try tensor("\(path).bias", shape: [outF])
        return l
    }

    /// A LayerNorm's `<path>.{weight,bias}` (`[dim]`).
    public mutating func layerNorm(_ path: String, dim: Int, eps: Float = 1e-5) throws -> LayerNorm {
        var n = LayerNorm(normalizedShape: [dim], eps: eps)
        n.weight = try tensor("\(path).weight", shape: [dim])
        n.bias = try tensor("\(path).bias", shape: [dim])
        return n
    }

    /// Attention with separate projections `<path>.{q,k,v,out}_proj` (the HF layout; `nn.MultiheadAttention`'s packed
    /// `in_proj_weight` is `MultiheadAttention.setPackedInProjection`).
    public mutating func attention(_ path: String, dim: Int, heads: Int) throws -> MultiheadAttention {
        guard heads > 0, dim % heads == 0 else { throw fail("\(path): \(heads) heads do not divide width \(dim)") }
        var a = MultiheadAttention(embedDim: dim, numHeads: heads)
        a.qProj = try linear("\(path).q_proj", in: dim, out: dim)
        a.kProj = try linear("\(path).k_proj", in: dim, out: dim)
        a.vProj = try linear("\(path).v_proj", in: dim, out: dim)
        a.outProj = try linear("\(path).out_proj", in: dim, out: dim)
        return a
    }

    /// Throws naming every tensor of the file the model did not use (the wrong file, or the wrong model variant).
    public func finish() throws {
        let unused = stateDict.names.filter { !used.contains($0) }
        guard unused.isEmpty else {
            let shown = unused.prefix(8).joined(separator: ", ")
            throw fail("\(unused.count) tensors not used by the model (wrong file or variant?): \(shown)\(unused.count > 8 ? ", …" : "")")
        }
    }
}
