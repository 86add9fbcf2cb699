import Foundation
import ZooDetect
import ZooNN

/// YuNet's anchor-free face head. Per level (strides 8, 16, 32): a shared `ConvDPUnit` (`multi_level_share_convs.i.0`),
/// then four `ConvDPUnit` predictors without activation: `cls` (1, sigmoid), `obj` (1, sigmoid), `bbox` (4) and
/// `kps` (10).
///
/// Raw outputs, as the ONNX graph names them, per stride s with `HW = (H/s)·(W/s)` cells row-major: `cls_s`,
/// `obj_s` `[N, HW, 1]`, `bbox_s` `[N, HW, 4]` (dx, dy, log w, log h in stride units), `kps_s` `[N, HW, 10]`.
/// Decoding (OpenCV `FaceDetectorYN::postProcess`, 2023 model): score `√(clamp(cls) · clamp(obj))`, centre
/// `((col + dx)·s, (row + dy)·s)`, size `exp(dw)·s × exp(dh)·s`, landmarks `((col + kx)·s, (row + ky)·s)`; one face
/// candidate (class 0) per cell. NMS at IoU 0.3, at most 5000 faces (OpenCV's defaults).
/// Port of libfacedetection.train `mmdet/models/dense_heads/yunet_head.py` `YuNet_Head` (module paths `bbox_head.*`).
public final class YuNetHead: DetectionHead {
    public let share: [ConvDPUnit]
    public let cls: [ConvDPUnit], bbox: [ConvDPUnit], obj: [ConvDPUnit], kps: [ConvDPUnit]
    public let strides: [Int]
    public let postprocessing = Postprocessing.nms(classAware: false, iou: 0.3, maxDetections: 5000)
    public let rawOutputNames: [String]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], path: String = "bbox_head") throws {
        let n = inputs.count
        share = try (0..<n).map { try ConvDPUnit(&w, "\(path).multi_level_share_convs.\($0).0", in: inputs[$0].channels, out: inputs[$0].channels) }
        func predictor(_ name: String, _ out: Int) throws -> [ConvDPUnit] {
            try (0..<n).map { try ConvDPUnit(&w, "\(path).multi_level_\(name).\($0)", in: inputs[$0].channels, out: out, relu: false) }
        }
        cls = try predictor("cls", 1)
        bbox = try predictor("bbox", 4)
        obj = try predictor("obj", 1)
        kps = try predictor("kps", 10)
        strides = inputs.map(\.stride)
        rawOutputNames = strides.flatMap { ["cls_\($0)", "obj_\($0)", "bbox_\($0)", "kps_\($0)"] }
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        var out: [Tensor] = []
        out.reserveCapacity(4 * features.count)
        for (i, p) in features.enumerated() {
            let f = share[i](p, ctx)
            out.append(ctx.cellRows(cls[i](f, ctx), width: 1, activation: .sigmoid))
            out.append(ctx.cellRows(obj[i](f, ctx), width: 1, activation: .sigmoid))
            out.append(ctx.cellRows(bbox[i](f, ctx), width: 4))
            out.append(ctx.cellRows(kps[i](f, ctx), width: 10))
        }
        return out
    }

    public func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector) {
        let grid = AnchorGrid(strides: strides, perCell: 1, inputHeight: inputHeight, inputWidth: inputWidth)
        for (l, level) in grid.levels.enumerated() {
            precondition(raw[4 * l].shape[1] == level.count, "YuNetHead: level \(l) has \(raw[4 * l].shape[1]) cells, expected \(level.count)")
        }
        grid.forEach { level, l, row, col, _, i, _ in
            let c = raw[4 * l].pointer, o = raw[4 * l + 1].pointer, b = raw[4 * l + 2].pointer, k = raw[4 * l + 3].pointer
            let score = (min(max(c[i], 0), 1) * min(max(o[i], 0), 1)).squareRoot()
            guard collector.accepts(score: score, classID: 0) else { return }
            let s = Float(level.stride)
            var marks = [Float](repeating: 0, count: 10)
            for n in 0..<5 {
                marks[2 * n] = (Float(col) + k[10 * i + 2 * n]) * s
                marks[2 * n + 1] = (Float(row) + k[10 * i + 2 * n + 1]) * s
            }
            collector.offer(score: score, classID: 0, keypoints: marks) {
                Box(centerX: (Float(col) + b[4 * i]) * s, centerY: (Float(row) + b[4 * i + 1]) * s,
                    width: Foundation.exp(b[4 * i + 2]) * s, height: Foundation.exp(b[4 * i + 3]) * s)
            }
        }
    }
}
