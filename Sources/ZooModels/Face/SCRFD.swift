import Foundation
import ZooNN

/// SCRFD-500M (with keypoints) face detector network, as exported by InsightFace (`scrfd_500m_bnkps.onnx`).
/// Port of InsightFace `detection/scrfd` (mmdet `MobileNetV1` backbone, `PAFPN` neck, `SCRFDHead`).
///
/// Input `N, 3, H, W` RGB normalised `(x − 127.5) / 128`, H and W multiples of 32. Raw outputs as the ONNX
/// graph: for each stride s in 8, 16, 32 with `K = (H/s)·(W/s)·2` anchors (2 per cell, cells row-major):
/// `score_s` `[N, K, 1]` (sigmoid), `bbox_s` `[N, K, 4]` (left, top, right, bottom distances in stride units),
/// `kps_s` `[N, K, 10]` (five x, y offsets in stride units).
public final class SCRFD {
    /// Conv (BN folded) + ReLU.
    typealias ConvReLU = Conv2d

    /// Backbone `conv_dw` blocks: (depthwise 3×3 stride s, pointwise 1×1), both BN + ReLU.
    struct DepthwiseSeparable {
        var dw: Conv2d
        var pw: Conv2d
        init(_ w: inout ONNXWeightImporter, _ path: String, _ inC: Int, _ outC: Int, stride: Int) throws {
            dw = try w.conv2d("\(path).0", in: inC, out: inC, kernel: 3, stride: stride, padding: 1, groups: inC, activation: .relu)
            pw = try w.conv2d("\(path).3", in: inC, out: outC, kernel: 1, activation: .relu)
        }
        func callAsFunction(_ x: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor { c.run(pw, c.run(dw, x, ws), ws) }
    }

    let stem: Conv2d
    /// (in, out, stride) of the 14 `conv_dw` blocks; outputs after blocks 5, 7 and 13 are strides 8, 16, 32.
    static let blocks: [(Int, Int, Int)] = [(16, 16, 1), (16, 40, 2), (40, 40, 1), (40, 72, 2), (72, 72, 1), (72, 72, 1),
                                            (72, 152, 2), (152, 152, 1), (152, 288, 2), (288, 288, 1), (288, 288, 1),
                                            (288, 288, 1), (288, 288, 1), (288, 288, 1)]
    static let tapAfter: [Int] = [5, 7, 13]
    let backbone: [DepthwiseSeparable]
    let lateral: [Conv2d], fpn: [Conv2d], downsample: [Conv2d], pafpn: [Conv2d]
    /// Per stride: the stacked `cls_stride_convs` tower (dw 16, pw 16→64, dw 64, pw 64→64) and the three predictors.
    let tower: [[Conv2d]]
    let cls: [Conv2d], reg: [Conv2d], kps: [Conv2d]
    public static let strides = [8, 16, 32]
    public static let anchorsPerCell = 2

    private let cache = TensorArena()
    private let workspace = Workspace()
    private let lock = NSLock()

    public convenience init(contentsOf url: URL) throws { try self.init(onnx: try ONNXModel(contentsOf: url)) }

    public init(onnx model: ONNXModel) throws {
        var w = ONNXWeightImporter(model)
        stem = try w.conv2d("backbone.stages.0.0", in: 3, out: 16, kernel: 3, stride: 2, padding: 1, activation: .relu)
        backbone = try Self.blocks.enumerated().map { i, b in
            try DepthwiseSeparable(&w, "backbone.blocks.\(i)", b.0, b.1, stride: b.2)
        }
        lateral = try [72, 152, 288].enumerated().map { try w.conv2d("neck.lateral_convs.\($0.offset).conv", in: $0.element, out: 16, kernel: 1) }
        fpn = try (0..<3).map { try w.conv2d("neck.fpn_convs.\($0).conv", in: 16, out: 16, kernel: 3, padding: 1) }
        downsample = try (0..<2).map { try w.conv2d("neck.downsample_convs.\($0).conv", in: 16, out: 16, kernel: 3, stride: 2, padding: 1) }
        pafpn = try (0..<2).map { try w.conv2d("neck.pafpn_convs.\($0).conv", in: 16, out: 16, kernel: 3, padding: 1) }
        var tower: [[Conv2d]] = [], cls: [Conv2d] = [], reg: [Conv2d] = [], kps: [Conv2d] = []
        for s in Self.strides {
            let key = "(\(s), \(s))"
            let p = "bbox_head.cls_stride_convs.\(key)"
            tower.append([
                try w.conv2d("\(p).0.0", in: 16, out: 16, kernel: 3, padding: 1, groups: 16, activation: .relu),
                try w.conv2d("\(p).0.3", in: 16, out: 64, kernel: 1, activation: .relu),
                try w.conv2d("\(p).1.0", in: 64, out: 64, kernel: 3, padding: 1, groups: 64, activation: .relu),
                try w.conv2d("\(p).1.3", in: 64, out: 64, kernel: 1, activation: .relu),
            ])
            cls.append(try w.conv2d("bbox_head.stride_cls.\(key)", in: 64, out: Self.anchorsPerCell, kernel: 3, padding: 1))
            reg.append(try w.conv2d("bbox_head.stride_reg.\(key)", in: 64, out: 4 * Self.anchorsPerCell, kernel: 3, padding: 1))
            kps.append(try w.conv2d("bbox_head.stride_kps.\(key)", in: 64, out: 10 * Self.anchorsPerCell, kernel: 3, padding: 1))
        }
        self.tower = tower; self.cls = cls; self.reg = reg; self.kps = kps
        try w.finish()
        for n in model.nodes where n.opType == "Resize" {
            guard n.string("mode") == "nearest" else { throw ONNXError.mismatch("SCRFD Resize '\(n.outputs.first ?? "")' is not nearest") }
        }
    }

    /// Runs the network. Returns the 9 raw outputs by ONNX name (`score_8`, …, `kps_32`), valid until the next call.
    public func callAsFunction(_ x: Tensor) -> [String: Tensor] {
        precondition(x.rank == 4 && x.shape[1] == 3 && x.shape[2] % 32 == 0 && x.shape[3] % 32 == 0,
                     "SCRFD input must be [N, 3, H, W] with H, W multiples of 32, got \(x.shape)")
        lock.lock(); defer { lock.unlock() }
        let c = cache, ws = workspace
        c.reset()
        var h = c.run(stem, x, ws)
        var taps: [Tensor] = []
        for (i, b) in backbone.enumerated() {
            h = b(h, c, ws)
            if Self.tapAfter.contains(i) { taps.append(h) }
        }
        // PAFPN: top-down (nearest resize to the finer size, add), 3×3 fpn convs, bottom-up (stride-2 convs, add).
        let lat = (0..<3).map { c.run(lateral[$0], taps[$0], ws) }
        let td1 = resizeAdd(lat[2], onto: lat[1], c, ws)
        let td0 = resizeAdd(td1, onto: lat[0], c, ws)
        let f0 = c.run(fpn[0], td0, ws), f1 = c.run(fpn[1], td1, ws), f2 = c.run(fpn[2], lat[2], ws)
        let b1 = add(f1, c.run(downsample[0], f0, ws), c)
        let b2 = add(f2, c.run(downsample[1], b1, ws), c)
        let outs = [f0, c.run(pafpn[0], b1, ws), c.run(pafpn[1], b2, ws)]
        var result: [String: Tensor] = [:]
        for (i, s) in Self.strides.enumerated() {
            var t = outs[i]
            for conv in tower[i] { t = c.run(conv, t, ws) }
            result["score_\(s)"] = flatten(c.run(cls[i], t, ws), 1, sigmoid: true, c)
            result["bbox_\(s)"] = flatten(c.run(reg[i], t, ws), 4, sigmoid: false, c)
            result["kps_\(s)"] = flatten(c.run(kps[i], t, ws), 10, sigmoid: false, c)
        }
        return result
    }

    private func add(_ a: Tensor, _ b: Tensor, _ c: TensorArena) -> Tensor {
        let y = c.tensor(a.shape)
        Ops.add(a, b, into: y)
        return y
    }

    /// `fine + resize(coarse, to fine's H×W)` with ONNX Resize nearest (asymmetric, floor) = PyTorch nearest.
    private func resizeAdd(_ coarse: Tensor, onto fine: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor {
        let up = c.run(Upsample(size: (fine.shape[2], fine.shape[3]), mode: .nearest), coarse, ws)
        return add(fine, up, c)
    }

    /// `[N, A·k, H, W]` → `[N, H·W·A, k]` (Transpose(0, 2, 3, 1) + Reshape(N, -1, k)), optionally through a sigmoid.
    private func flatten(_ x: Tensor, _ k: Int, sigmoid: Bool, _ c: TensorArena) -> Tensor {
        let y = c.tensor([x.shape[0], x.shape[2], x.shape[3], x.shape[1]])
        Ops.permute(x, [0, 2, 3, 1], into: y)
        if sigmoid { Ops.activate(y, .sigmoid, into: y) }
        return y.reshaped([x.shape[0], -1, k])
    }
}
