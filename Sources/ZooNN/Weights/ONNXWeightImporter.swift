import Foundation
import ZooTensor

/// The weights and geometry of one ONNX `Conv` node.
public struct ONNXConv {
    public var weight: Tensor          // [outC, inC/groups, kH, kW]
    public var bias: Tensor?           // [outC]
    public var stride: Int
    public var padding: Int
    public var groups: Int
    /// The single op consuming this conv's output (e.g. "Relu"), or nil if several/none.
    public var consumer: String?
}

/// Hands out the weights of an ONNX graph's weighted nodes (`Conv`, `PRelu`, `BatchNormalization`, `Gemm`) in
/// graph order to a model written in Swift, checking each against what the Swift model expects.
///
/// Strictness: the model asks for every weighted node in the order the graph lists them, states the op, the
/// channel counts and the geometry; any difference (op, shape, stride, padding, groups, dilation, a fused
/// activation that is not there) throws an error naming the node, its weight initializer and the model path.
/// When the exporter kept a meaningful initializer name (e.g. `backbone.model0.conv2.conv1.weight`) it must
/// equal `<path>.weight`; BN-folded weights get numeric names (`459`) and are matched by position and shape.
/// `finish()` then checks that every weighted node was taken, so every weight initializer is used.
public struct ONNXWeightImporter {
    public let model: ONNXModel
    private let weighted: [ONNXNode]
    private var cursor = 0
    private var consumers: [String: [String]] = [:]

    public static let weightedOps: Set<String> = ["Conv", "PRelu", "BatchNormalization", "Gemm", "MatMul", "ConvTranspose"]

    public init(_ model: ONNXModel) {
        self.model = model
        weighted = model.nodes.filter { Self.weightedOps.contains($0.opType) }
        for n in model.nodes { for i in n.inputs { consumers[i, default: []].append(n.opType) } }
    }

    /// Number of weighted nodes not yet taken.
    public var remaining: Int { weighted.count - cursor }

    private mutating func nextNode(_ op: String, _ path: String) throws -> ONNXNode {
        guard cursor < weighted.count else {
            throw ONNXError.mismatch("model expects another \(op) for '\(path)' but the graph has only \(weighted.count) weighted nodes")
        }
        let n = weighted[cursor]
        guard n.opType == op else {
            throw ONNXError.mismatch("weighted node #\(cursor) (\(n.opType), weight '\(n.inputs.dropFirst().first ?? "")') is not the \(op) '\(path)' the model expects")
        }
        cursor += 1
        return n
    }

    private func initializer(_ n: ONNXNode, _ index: Int, _ path: String, what: String) throws -> ONNXInitializer {
        guard index < n.inputs.count, !n.inputs[index].isEmpty else { throw ONNXError.missing("\(what) of \(n.opType) '\(path)'") }
        guard let t = model.initializers[n.inputs[index]] else {
            throw ONNXError.mismatch("\(what) '\(n.inputs[index])' of \(n.opType) '\(path)' is computed, not an initializer")
        }
        guard t.dataType == .float || t.dataType == .float16 || t.dataType == .double else {
            throw ONNXError.mismatch("\(what) '\(t.name)' of '\(path)' is \(t.dataType), not floating point")
        }
        if !t.floats.isEmpty, let problem = t.floats.withUnsafeBufferPointer({ WeightLimits.nonFiniteProblem($0.baseAddress!, count: $0.count) }) {
            throw ONNXError.mismatch("\(what) '\(t.name)' of '\(path)': \(problem)")
        }
        return t
    }

    private static func isNumeric(_ s: String) -> Bool { !s.isEmpty && s.allSatisfy(\.isNumber) }

    private func checkName(_ t: ONNXInitializer, _ path: String, suffix: String) throws {
        // Exporters name weights after the module unless constant folding renamed them (numeric or onnx:: names).
        if Self.isNumeric(t.name) || t.name.hasPrefix("onnx::") || t.name.contains("/") { return }
        guard t.name == "\(path).\(suffix)" else {
            throw ONNXError.mismatch("initializer '\(t.name)' is where the model expects '\(path).\(suffix)'")
        }
    }

    private func check(_ t: ONNXInitializer, shape: [Int], _ path: String) throws {
        guard t.dims == shape else {
            throw ONNXError.mismatch("initializer '\(t.name)' for '\(path)' has shape \(t.dims), expected \(shape)")
        }
    }

    /// The next `Conv`: square kernel, symmetric padding, dilation 1. `activation` names the op that must be the
    /// sole consumer of its output (e.g. "Relu") when the Swift model fuses it, or nil for none; "SiLU" stands for the
    /// exported pair `Sigmoid` + `Mul`.
    public mutating func conv(_ path: String, in inC: Int, out outC: Int, kernel: Int, stride: Int = 1,
                              padding: Int = 0, groups: Int = 1, bias: Bool = true, fused activation: String? = nil) throws -> ONNXConv {
        let n = try nextNode("Conv", path)
        let w = try initializer(n, 1, path, what: "weight")
        try checkName(w, path, suffix: "weight")
        guard inC % groups == 0 else { throw ONNXError.mismatch("'\(path)': \(inC) channels not divisible by \(groups) groups") }
        try check(w, shape: [outC, inC / groups, kernel, kernel], path)
        let attrs: [(String, [Int])] = [("strides", [stride, stride]), ("pads", [padding, padding, padding, padding]),
                                        ("dilations", [1, 1]), ("kernel_shape", [kernel, kernel])]
        for (key, want) in attrs {
            let got = n.ints(key) ?? (key == "kernel_shape" ? [kernel, kernel] : key == "pads" ? [0, 0, 0, 0] : [1, 1])
            guard got == want else { throw ONNXError.mismatch("Conv '\(path)' (weight '\(w.name)'): \(key) \(got), expected \(want)") }
        }
        guard (n.int("group") ?? 1) == groups else {
            throw ONNXError.mismatch("Conv '\(path)' (weight '\(w.name)'): group \(n.int("group") ?? 1), expected \(groups)")
        }
        if let ap = n.string("auto_pad"), ap != "NOTSET" { throw ONNXError.unsupported("Conv '\(path)': auto_pad \(ap)") }
        var b: Tensor?
        if bias {
            let t = try initializer(n, 2, path, what: "bias")
            try check(t, shape: [outC], path)
            b = t.tensor()
        } else if n.inputs.count > 2, !n.inputs[2].isEmpty {
            throw ONNXError.mismatch("Conv '\(path)' has a bias '\(n.inputs[2])' the model does not expect")
        }
        let users = consumers[n.outputs.first ?? ""] ?? []
        let consumer = users.count == 1 ? users[0] : nil
        // SiLU is exported as `x · Sigmoid(x)`: the conv output feeds one Sigmoid and one Mul.
        if let activation, activation == "SiLU" ? users.sorted() != ["Mul", "Sigmoid"] : consumer != activation {
            throw ONNXError.mismatch("Conv '\(path)' (weight '\(w.name)') is followed by \(users), model fuses \(activation)")
        }
        return ONNXConv(weight: w.tensor(), bias: b, stride: stride, padding: padding, groups: groups, consumer: consumer)
    }

    /// The next `PRelu`: its slope, flattened to [channels] (exporters store [C], [C,1,1] or [1,C,1,1]).
    public mutating func prelu(_ path: String, channels: Int) throws -> Tensor {
        let n = try nextNode("PRelu", path)
        let s = try initializer(n, 1, path, what: "slope")
        try checkName(s, path, suffix: "weight")
        guard s.count == channels, s.dims.filter({ $0 != 1 }).count <= 1 else {
            throw ONNXError.mismatch("PRelu slope '\(s.name)' for '\(path)' has shape \(s.dims), expected \(channels) channels")
        }
        return Tensor(shape: [channels], data: s.floats)
    }

    /// The next `BatchNormalization`: (scale, bias, mean, var, epsilon).
    public mutating func batchNorm(_ path: String, channels: Int) throws -> (weight: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, eps: Float) {
        let n = try nextNode("BatchNormalization", path)
        var ts: [Tensor] = []
        for (i, (what, suffix)) in [("scale", "weight"), ("B", "bias"), ("mean", "running_mean"), ("var", "running_var")].enumerated() {
            let t = try initializer(n, i + 1, path, what: what)
            try checkName(t, path, suffix: suffix)
            try check(t, shape: [channels], path)
            ts.append(t.tensor())
        }
        return (ts[0], ts[1], ts[2], ts[3], n.float("epsilon") ?? 1e-5)
    }

    /// The next `Gemm` computing `x · Wᵀ + b` (PyTorch Linear: transB = 1): weight [out, in], bias [out].
    public mutating func gemm(_ path: String, in inF: Int, out outF: Int) throws -> (weight: Tensor, bias: Tensor) {
        let n = try nextNode("Gemm", path)
        guard (n.int("transB") ?? 0) == 1, (n.int("transA") ?? 0) == 0, (n.float("alpha") ?? 1) == 1, (n.float("beta") ?? 1) == 1 else {
            throw ONNXError.unsupported("Gemm '\(path)': only alpha = beta = 1, transA = 0, transB = 1")
        }
        let w = try initializer(n, 1, path, what: "weight"), b = try initializer(n, 2, path, what: "bias")
        try checkName(w, path, suffix: "weight"); try checkName(b, path, suffix: "bias")
        try check(w, shape: [outF, inF], path); try check(b, shape: [outF], path)
        return (w.tensor(), b.tensor())
    }

    /// Throws unless every weighted node of the graph was taken by the model.
    public func finish() throws {
        guard cursor == weighted.count else {
            let n = weighted[cursor]
            throw ONNXError.mismatch("\(weighted.count - cursor) weighted nodes left unused, first: \(n.opType) with inputs \(n.inputs)")
        }
    }
}
