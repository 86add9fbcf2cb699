import Foundation
import ZooNN

/// YuNet-n face detector network (libfacedetection.train `YuNet`, exported to ONNX as OpenCV Zoo's
/// `face_detection_yunet_2023mar` / `yunet_n_*.onnx`). Port of libfacedetection.train's
/// `mmdet/models/backbones/yunet_backbone.py`, `necks/tfpn.py` and `dense_heads/yunet_head.py`.
///
/// Input `N, 3, H, W` BGR in 0…255 (no normalisation), H and W multiples of 32. Raw outputs, as the ONNX graph:
/// for each stride s in 8, 16, 32 with `HW = (H/s)·(W/s)` cells in row-major order: `cls_s`, `obj_s`
/// `[N, HW, 1]` (sigmoid), `bbox_s` `[N, HW, 4]` (dx, dy, log w, log h in stride units), `kps_s` `[N, HW, 10]`.
public final class YuNet {
    /// A depthwise-separable unit: 1×1 conv (`conv1`, no activation) then 3×3 depthwise conv (`conv2`, BN
    /// folded, ReLU unless it is a head output).
    struct ConvDPUnit {
        var conv1: Conv2d
        var conv2: Conv2d

        init(_ w: inout ONNXWeightImporter, _ path: String, _ inC: Int, _ outC: Int, relu: Bool = true) throws {
            conv1 = try w.conv2d("\(path).conv1", in: inC, out: outC, kernel: 1)
            conv2 = try w.conv2d("\(path).conv2", in: outC, out: outC, kernel: 3, padding: 1, groups: outC,
                                 activation: relu ? .relu : .linear)
        }

        func callAsFunction(_ x: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor {
            c.run(conv2, c.run(conv1, x, ws), ws)
        }
    }

    /// `model0`: 3×3 stride-2 conv (BN, ReLU) then a DP unit.
    let model0Conv1: Conv2d
    let model0Conv2: ConvDPUnit
    /// `model1` … `model5`: two DP units each (model1: 16→16→64, others 64→64→64).
    let stages: [(ConvDPUnit, ConvDPUnit)]
    /// `neck.lateral_convs.{0,1,2}` (TFPN: top-down, upsample ×2 and add).
    let lateral: [ConvDPUnit]
    /// `bbox_head.multi_level_share_convs.{i}.0`.
    let share: [ConvDPUnit]
    /// `bbox_head.multi_level_{cls,bbox,obj,kps}.{i}`: 1×1 conv then depthwise 3×3, no activation.
    let cls: [ConvDPUnit], bbox: [ConvDPUnit], obj: [ConvDPUnit], kps: [ConvDPUnit]
    let pool = MaxPool2d(kernel: 2, stride: 2)
    let upsample = Upsample(scale: 2, mode: .nearest)
    public static let strides = [8, 16, 32]

    private let cache = TensorArena()
    private let workspace = Workspace()
    private let lock = NSLock()

    /// Builds the network from an ONNX export (`yunet_n_320_320.onnx` or `yunet_n_dynamic.onnx`).
    public convenience init(contentsOf url: URL) throws {
        try self.init(onnx: try ONNXModel(contentsOf: url))
    }

    public init(onnx model: ONNXModel) throws {
        var w = ONNXWeightImporter(model)
        model0Conv1 = try w.conv2d("backbone.model0.conv1", in: 3, out: 16, kernel: 3, stride: 2, padding: 1, activation: .relu)
        model0Conv2 = try ConvDPUnit(&w, "backbone.model0.conv2", 16, 16)
        var s: [(ConvDPUnit, ConvDPUnit)] = []
        for i in 1...5 {
            let a = try ConvDPUnit(&w, "backbone.model\(i).conv1", i == 1 ? 16 : 64, i == 1 ? 16 : 64)
            let b = try ConvDPUnit(&w, "backbone.model\(i).conv2", i == 1 ? 16 : 64, 64)
            s.append((a, b))
        }
        stages = s
        // The graph runs the top-down path from the coarsest level: lateral 2, then 1, then 0.
        let l2 = try ConvDPUnit(&w, "neck.lateral_convs.2", 64, 64)
        let l1 = try ConvDPUnit(&w, "neck.lateral_convs.1", 64, 64)
        let l0 = try ConvDPUnit(&w, "neck.lateral_convs.0", 64, 64)
        lateral = [l0, l1, l2]
        share = try (0..<3).map { try ConvDPUnit(&w, "bbox_head.multi_level_share_convs.\($0).0", 64, 64) }
        cls = try (0..<3).map { try ConvDPUnit(&w, "bbox_head.multi_level_cls.\($0)", 64, 1, relu: false) }
        bbox = try (0..<3).map { try ConvDPUnit(&w, "bbox_head.multi_level_bbox.\($0)", 64, 4, relu: false) }
        obj = try (0..<3).map { try ConvDPUnit(&w, "bbox_head.multi_level_obj.\($0)", 64, 1, relu: false) }
        kps = try (0..<3).map { try ConvDPUnit(&w, "bbox_head.multi_level_kps.\($0)", 64, 10, relu: false) }
        try w.finish()
        // Structural constants: both Resize nodes upsample by exactly 2 (scales [1, 1, 2, 2]).
        for n in model.nodes where n.opType == "Resize" {
            guard n.string("mode") == "nearest", n.inputs.count >= 3, let s = model.initializers[n.inputs[2]],
                  s.floats == [1, 1, 2, 2] else {
                throw ONNXError.mismatch("YuNet Resize '\(n.outputs.first ?? "")' is not a nearest ×2 upsample")
            }
        }
    }

    /// Runs the network. Returns the 12 raw outputs by ONNX name (`cls_8`, …, `kps_32`), valid until the next call.
    public func callAsFunction(_ x: Tensor) -> [String: Tensor] {
        precondition(x.rank == 4 && x.shape[1] == 3 && x.shape[2] % 32 == 0 && x.shape[3] % 32 == 0,
                     "YuNet input must be [N, 3, H, W] with H, W multiples of 32, got \(x.shape)")
        lock.lock(); defer { lock.unlock() }
        let c = cache, ws = workspace
        c.reset()
        var h = model0Conv2(c.run(model0Conv1, x, ws), c, ws)
        var feats: [Tensor] = []
        for (i, (a, b)) in stages.enumerated() {
            if i != 1 { h = c.run(pool, h, ws) }           // max-pools precede model1, model3, model4, model5
            h = b(a(h, c, ws), c, ws)
            if i >= 2 { feats.append(h) }                  // model3, model4, model5: strides 8, 16, 32
        }
        // TFPN top-down: p32 = lat2(c32); p16 = lat1(c16 + up(p32)); p8 = lat0(c8 + up(p16)).
        let p32 = lateral[2](feats[2], c, ws)
        let p16 = lateral[1](upsampleAdd(p32, feats[1], c, ws), c, ws)
        let p8 = lateral[0](upsampleAdd(p16, feats[0], c, ws), c, ws)
        var out: [String: Tensor] = [:]
        for (i, p) in [p8, p16, p32].enumerated() {
            let s = Self.strides[i]
            let f = share[i](p, c, ws)
            out["cls_\(s)"] = flatten(cls[i](f, c, ws), sigmoid: true, c)
            out["obj_\(s)"] = flatten(obj[i](f, c, ws), sigmoid: true, c)
            out["bbox_\(s)"] = flatten(bbox[i](f, c, ws), sigmoid: false, c)
            out["kps_\(s)"] = flatten(kps[i](f, c, ws), sigmoid: false, c)
        }
        return out
    }

    /// `up(coarse) + fine` (nearest ×2 upsample, then element-wise add).
    private func upsampleAdd(_ coarse: Tensor, _ fine: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor {
        let up = c.run(upsample, coarse, ws)
        let y = c.tensor(fine.shape)
        Ops.add(up, fine, into: y)
        return y
    }

    /// `[N, C, H, W]` → `[N, H·W, C]` (the graph's Transpose(0, 2, 3, 1) + Reshape), optionally through a sigmoid.
    private func flatten(_ x: Tensor, sigmoid: Bool, _ c: TensorArena) -> Tensor {
        let n = x.shape[0], ch = x.shape[1], hw = x.shape[2] * x.shape[3]
        let y = c.tensor([n, x.shape[2], x.shape[3], ch])
        Ops.permute(x, [0, 2, 3, 1], into: y)
        if sigmoid { Ops.activate(y, .sigmoid, into: y) }
        return y.reshaped([n, hw, ch])
    }
}
