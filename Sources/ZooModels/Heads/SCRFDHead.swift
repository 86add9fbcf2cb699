import Foundation
import ZooDetect
import ZooNN

/// SCRFD's face head (with keypoints). Per level (strides 8, 16, 32): a tower of two `DepthwiseSeparableConv`s
/// (`cls_stride_convs.(s, s).{0,1}`, ReLU) shared by three 3 × 3 predictors for `anchorsPerCell` = 2 anchors per
/// cell: `stride_cls` (sigmoid), `stride_reg` (4 distances), `stride_kps` (10 offsets).
///
/// Raw outputs as the ONNX graph names them, per stride s with `K = (H/s)·(W/s)·2` anchors (cells row-major):
/// `score_s` `[N, K, 1]`, `bbox_s` `[N, K, 4]` (left, top, right, bottom distances in stride units), `kps_s`
/// `[N, K, 10]` (five x, y offsets in stride units). Decoding (InsightFace `scrfd.py` `forward`): anchor centres
/// `(col·s, row·s)`, `distance2bbox` and `distance2kps` with distances × stride; NMS at IoU 0.4 with +1 pixel areas.
/// Port of InsightFace `detection/scrfd` `SCRFDHead` (module paths `bbox_head.*`).
public final class SCRFDHead: DetectionHead {
    public struct Level {
        public let tower: [DepthwiseSeparableConv]
        public let cls: Conv2d, reg: Conv2d, kps: Conv2d
    }
    public let levels: [Level]
    public let strides: [Int]
    public static let anchorsPerCell = 2
    public let postprocessing = Postprocessing.nms(classAware: false, iou: 0.4, pixelOffset: 1)
    public let rawOutputNames: [String]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], hidden: Int = 64, path: String = "bbox_head") throws {
        let a = Self.anchorsPerCell
        levels = try inputs.map { spec in
            let s = spec.stride, key = "(\(s), \(s))", p = "\(path).cls_stride_convs.\(key)"
            return Level(
                tower: [try DepthwiseSeparableConv(&w, "\(p).0", in: spec.channels, out: hidden),
                        try DepthwiseSeparableConv(&w, "\(p).1", in: hidden, out: hidden)],
                cls: try w.conv2d("\(path).stride_cls.\(key)", in: hidden, out: a, kernel: 3, padding: 1),
                reg: try w.conv2d("\(path).stride_reg.\(key)", in: hidden, out: 4 * a, kernel: 3, padding: 1),
                kps: try w.conv2d("\(path).stride_kps.\(key)", in: hidden, out: 10 * a, kernel: 3, padding: 1))
        }
        strides = inputs.map(\.stride)
        rawOutputNames = strides.flatMap { ["score_\($0)", "bbox_\($0)", "kps_\($0)"] }
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        var out: [Tensor] = []
        out.reserveCapacity(3 * features.count)
        for (l, x) in zip(levels, features) {
            var t = x
            for b in l.tower { t = b(t, ctx) }
            out.append(ctx.cellRows(ctx(l.cls, t), width: 1, activation: .sigmoid))
            out.append(ctx.cellRows(ctx(l.reg, t), width: 4))
            out.append(ctx.cellRows(ctx(l.kps, t), width: 10))
        }
        return out
    }

    public func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector) {
        let grid = AnchorGrid(strides: strides, perCell: Self.anchorsPerCell, inputHeight: inputHeight, inputWidth: inputWidth)
        for (l, level) in grid.levels.enumerated() {
            precondition(raw[3 * l].shape[1] == level.count, "SCRFDHead: level \(l) has \(raw[3 * l].shape[1]) anchors, expected \(level.count)")
        }
        grid.forEach { level, l, row, col, _, i, _ in
            let c = raw[3 * l].pointer
            guard collector.accepts(score: c[i], classID: 0) else { return }
            let b = raw[3 * l + 1].pointer + 4 * i, k = raw[3 * l + 2].pointer + 10 * i
            let s = Float(level.stride), cx = Float(col) * s, cy = Float(row) * s
            var marks = [Float](repeating: 0, count: 10)
            for n in 0..<5 { marks[2 * n] = cx + k[2 * n] * s; marks[2 * n + 1] = cy + k[2 * n + 1] * s }
            collector.offer(score: c[i], classID: 0, keypoints: marks) {
                BoxCoder.fromDistances(x: cx, y: cy, b[0] * s, b[1] * s, b[2] * s, b[3] * s)
            }
        }
    }
}
