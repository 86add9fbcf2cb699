import Foundation
import ZooImage
import ZooNN

/// ArcFace MobileFaceNet recogniser (InsightFace `model-y1-test2` / `MobileFaceNet` from `recognition/symbol/
/// fmobilefacenet.py`), weights from MXNet `model-0000.params` + `model-symbol.json`.
/// Port of InsightFace `recognition/symbol/fmobilefacenet.py` (`get_symbol`, `Residual`, `DResidual`).
///
/// Input: `N, 3, 112, 112` **BGR**, `(x − 127.5) · 0.0078125` (the graph's `_minus_scalar`/`_mul_scalar`).
/// Output: `N, 128` embeddings (not normalised; `embed` L2-normalises).
public final class MobileFaceNet: FaceEmbedder {
    public let name = "mobilefacenet-arcface"
    public let inputSize = (width: 112, height: 112)
    /// The ArcFace 112×112 five-point template (InsightFace `arcface_dst`).
    public let template: [Float] = [38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041]

    /// `Linear → Depthwise → Linear` unit (`DResidual` or one block of `Residual`): `conv_sep` 1×1 (BN, PReLU),
    /// `conv_dw` 3×3 depthwise (BN, PReLU), `conv_proj` 1×1 (BN, no activation).
    struct DepthWise {
        var sep: Conv2d, dw: Conv2d, proj: Conv2d
        let residual: Bool

        func callAsFunction(_ x: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor {
            let y = c.run(proj, c.run(dw, c.run(sep, x, ws), ws), ws)
            guard residual else { return y }
            let out = c.tensor(y.shape)
            Ops.add(y, x, into: out)
            return out
        }
    }

    let conv1: Conv2d          // conv_1: 3×3 s2, 3 → 64, BN, PReLU
    let conv2dw: Conv2d        // conv_2_dw: 3×3 depthwise 64, BN, PReLU
    let units: [DepthWise]     // dconv_23, res_3 ×4, dconv_34, res_4 ×6, dconv_45, res_5 ×2
    let conv6sep: Conv2d       // conv_6sep: 1×1 128 → 512, BN, PReLU
    let conv6dw: Conv2d        // conv_6dw7_7: 7×7 depthwise 512, no padding, BN → [N, 512, 1, 1]
    let fc: Linear             // pre_fc1: 512 → 128 (weight `fc1_weight`, bias `pre_fc1_bias`)
    let fcBN: BatchNorm2d      // fc1: BatchNorm on [N, 128], fix_gamma (γ = 1), eps 2e-5

    private let cache = TensorArena()
    private let workspace = Workspace()
    private let lock = NSLock()

    /// Loads `model-0000.params` and the `model-symbol.json` beside it (or `symbol` if given).
    public convenience init(params: URL, symbol: URL? = nil) throws {
        let sym = symbol ?? params.deletingLastPathComponent().appendingPathComponent("model-symbol.json")
        try self.init(params: try MXNetParams(contentsOf: params), symbol: try MXNetSymbol(contentsOf: sym))
    }

    public init(params: MXNetParams, symbol: MXNetSymbol) throws {
        var p = params
        let s = symbol
        conv1 = try Self.convBN(&p, s, "conv_1", in: 3, out: 64, kernel: 3, stride: 2, pad: 1, groups: 1, prelu: true)
        conv2dw = try Self.convBN(&p, s, "conv_2_dw", in: 64, out: 64, kernel: 3, stride: 1, pad: 1, groups: 64, prelu: true)
        var units: [DepthWise] = []
        // (name, in, hidden, out, stride, residual)
        var plan: [(String, Int, Int, Int, Int, Bool)] = [("dconv_23", 64, 128, 64, 2, false)]
        plan += (0..<4).map { ("res_3_block\($0)", 64, 128, 64, 1, true) }
        plan.append(("dconv_34", 64, 256, 128, 2, false))
        plan += (0..<6).map { ("res_4_block\($0)", 128, 256, 128, 1, true) }
        plan.append(("dconv_45", 128, 512, 128, 2, false))
        plan += (0..<2).map { ("res_5_block\($0)", 128, 256, 128, 1, true) }
        for (name, inC, hid, outC, stride, residual) in plan {
            units.append(DepthWise(
                sep: try Self.convBN(&p, s, "\(name)_conv_sep", in: inC, out: hid, kernel: 1, stride: 1, pad: 0, groups: 1, prelu: true),
                dw: try Self.convBN(&p, s, "\(name)_conv_dw", in: hid, out: hid, kernel: 3, stride: stride, pad: 1, groups: hid, prelu: true),
                proj: try Self.convBN(&p, s, "\(name)_conv_proj", in: hid, out: outC, kernel: 1, stride: 1, pad: 0, groups: 1, prelu: false),
                residual: residual))
        }
        self.units = units
        conv6sep = try Self.convBN(&p, s, "conv_6sep", in: 128, out: 512, kernel: 1, stride: 1, pad: 0, groups: 1, prelu: true)
        conv6dw = try Self.convBN(&p, s, "conv_6dw7_7", in: 512, out: 512, kernel: 7, stride: 1, pad: 0, groups: 512, prelu: false)

        let fcNode = try s.node("pre_fc1", op: "FullyConnected")
        guard fcNode.ints("num_hidden") == [128], fcNode.inputs.dropFirst().first == "fc1_weight" else {
            throw MXNetError.mismatch("pre_fc1: expected 128 outputs with weight fc1_weight, got \(fcNode.attrs) \(fcNode.inputs)")
        }
        var fc = Linear(inFeatures: 512, outFeatures: 128)
        fc.weight = try p.take("fc1_weight", shape: [128, 512])
        fc.bias = try p.take("pre_fc1_bias", shape: [128])
        self.fc = fc
        let bnNode = try s.node("fc1", op: "BatchNorm")
        var bn = BatchNorm2d(channels: 128, eps: bnNode.float("eps") ?? 1e-3)
        let gamma = try p.take("fc1_gamma", shape: [128])
        if bnNode.bool("fix_gamma") ?? true { bn.weight = Tensor(shape: [128], data: [Float](repeating: 1, count: 128)) } else { bn.weight = gamma }
        bn.bias = try p.take("fc1_beta", shape: [128])
        bn.runningMean = try p.take("fc1_moving_mean", shape: [128])
        bn.runningVar = try p.take("fc1_moving_var", shape: [128])
        fcBN = bn
        try p.checkAllUsed()
    }

    /// `<name>_conv2d` (no bias) + `<name>_batchnorm` folded in + optional `<name>_relu` PReLU fused; the symbol's
    /// attributes must match the architecture (kernel, stride, pad, groups, filters, act_type).
    static func convBN(_ p: inout MXNetParams, _ s: MXNetSymbol, _ name: String, in inC: Int, out outC: Int,
                       kernel: Int, stride: Int, pad: Int, groups: Int, prelu: Bool) throws -> Conv2d {
        let node = try s.node("\(name)_conv2d", op: "Convolution")
        let want: [(String, [Int])] = [("kernel", [kernel, kernel]), ("stride", [stride, stride]), ("pad", [pad, pad]),
                                       ("num_group", [groups]), ("num_filter", [outC])]
        for (key, value) in want {
            let got = node.ints(key) ?? (key == "num_group" ? [1] : key == "stride" ? [1, 1] : key == "pad" ? [0, 0] : [])
            guard got == value else { throw MXNetError.mismatch("symbol '\(node.name)': \(key) \(got), expected \(value)") }
        }
        guard node.bool("no_bias") == true else { throw MXNetError.mismatch("symbol '\(node.name)' has a bias") }
        var conv = Conv2d(inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: pad, groups: groups, bias: false)
        conv.weight = try p.take("\(name)_conv2d_weight", shape: [outC, inC / groups, kernel, kernel])
        let bnNode = try s.node("\(name)_batchnorm", op: "BatchNorm")
        var bn = BatchNorm2d(channels: outC, eps: bnNode.float("eps") ?? 1e-3)   // MXNet's default eps is 1e-3
        let gamma = try p.take("\(name)_batchnorm_gamma", shape: [outC])
        bn.weight = bnNode.bool("fix_gamma") == true ? Tensor(shape: [outC], data: [Float](repeating: 1, count: outC)) : gamma
        bn.bias = try p.take("\(name)_batchnorm_beta", shape: [outC])
        bn.runningMean = try p.take("\(name)_batchnorm_moving_mean", shape: [outC])
        bn.runningVar = try p.take("\(name)_batchnorm_moving_var", shape: [outC])
        conv.foldBatchNorm(bn)
        if prelu {
            let act = try s.node("\(name)_relu", op: "LeakyReLU")
            guard act.attrs["act_type"] == "prelu" else { throw MXNetError.mismatch("symbol '\(act.name)': act_type \(act.attrs["act_type"] ?? "?")") }
            conv.prelu = try p.take("\(name)_relu_gamma", shape: [outC])
        }
        return conv
    }

    /// Runs the network on `N, 3, 112, 112` normalised BGR. Returns `N, 128` (valid until the next call).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && Array(x.shape.dropFirst()) == [3, 112, 112], "MobileFaceNet input must be [N, 3, 112, 112], got \(x.shape)")
        lock.lock(); defer { lock.unlock() }
        let c = cache, ws = workspace
        c.reset()
        var h = c.run(conv2dw, c.run(conv1, x, ws), ws)
        for u in units { h = u(h, c, ws) }
        h = c.run(conv6dw, c.run(conv6sep, h, ws), ws)
        let e = c.run(fc, h.reshaped([x.shape[0], 512]), ws)
        return c.run(fcBN, e, ws)
    }

    /// Normalised BGR planes of RGB chips: `(v − 127.5) · 0.0078125`, `[chips.count, 3, 112, 112]`.
    public func preprocess(_ chips: [Image]) throws -> Tensor {
        try ArcFaceChips.planes(chips, model: name, order: .bgr, mean: 127.5, std: 128)
    }

    /// L2-normalised embeddings of several 112×112 RGB chips in one batched forward pass.
    public func embed(batch chips: [Image]) throws -> [[Float]] {
        guard !chips.isEmpty else { return [] }
        return ArcFaceChips.embeddings(self(try preprocess(chips)), count: chips.count, size: 128)
    }

    public func embed(_ chip: Image) throws -> [Float] { try embed(batch: [chip])[0] }
}
