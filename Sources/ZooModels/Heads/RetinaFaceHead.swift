import Foundation
import ZooDetect
import ZooNN

/// RetinaFace's heads: per level a 1 × 1 `BboxHead` (2 × 4), `ClassHead` (2 × 2) and `LandmarkHead` (2 × 10)
/// over `anchorsPerCell` = 2 priors per cell, each flattened to rows and concatenated over the levels.
///
/// Raw outputs as the ONNX graph, with `K = Σ_s ⌈H/s⌉·⌈W/s⌉·2` priors (levels 8, 16, 32; cells row-major):
/// `loc` `[N, K, 4]` (SSD offsets), `conf` `[N, K, 2]` (softmax: background, face), `iou` `[N, K, 10]` (the
/// exporter's name for the landmark offsets). Decoding (Pytorch_Retinaface `detect.py`, `utils/box_utils.py`
/// `decode` / `decode_landm`, variances 0.1 / 0.2) against the priors of `layers/functions/prior_box.py`
/// (`RetinaFacePriors`: centre `((j + 0.5)·s, (i + 0.5)·s)`, sizes `minSizes`); NMS at IoU 0.4 with +1 pixel areas.
/// Port of Pytorch_Retinaface `models/retinaface.py` `ClassHead`, `BboxHead`, `LandmarkHead`.
public final class RetinaFaceHead: DetectionHead {
    public let bbox: [Conv2d], cls: [Conv2d], landmark: [Conv2d]
    public let strides: [Int]
    /// Prior sizes (input pixels) per level, `anchorsPerCell` each.
    public let minSizes: [[Float]]
    public static let anchorsPerCell = 2
    public static let variances: (Float, Float) = (0.1, 0.2)
    public let postprocessing = Postprocessing.nms(classAware: false, iou: 0.4, pixelOffset: 1)
    public let rawOutputNames = ["loc", "conf", "iou"]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], minSizes: [[Float]] = RetinaFacePriors.minSizes) throws {
        let a = Self.anchorsPerCell
        precondition(minSizes.count == inputs.count && minSizes.allSatisfy { $0.count == a }, "RetinaFaceHead: \(a) prior sizes per level")
        bbox = try inputs.enumerated().map { try w.conv2d("BboxHead.\($0.offset).conv1x1", in: $0.element.channels, out: 4 * a, kernel: 1) }
        cls = try inputs.enumerated().map { try w.conv2d("ClassHead.\($0.offset).conv1x1", in: $0.element.channels, out: 2 * a, kernel: 1) }
        landmark = try inputs.enumerated().map { try w.conv2d("LandmarkHead.\($0.offset).conv1x1", in: $0.element.channels, out: 10 * a, kernel: 1) }
        strides = inputs.map(\.stride)
        self.minSizes = minSizes
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        func rows(_ convs: [Conv2d], _ k: Int) -> Tensor {
            let parts = zip(convs, features).map { ctx.cellRows(ctx($0, $1), width: k) }
            let y = ctx.arena.tensor([features[0].shape[0], parts.reduce(0) { $0 + $1.shape[1] }, k])
            Ops.concat(parts, axis: 1, into: y)
            if let trace = ctx.arena.trace { trace.setField(.merge(parts.map(trace.field(of:))), of: y) }
            return y
        }
        let loc = rows(bbox, 4), logits = rows(cls, 2), marks = rows(landmark, 10)
        let conf = ctx.arena.tensor(logits.shape)
        Ops.softmax(logits, axis: 2, into: conf)
        if let trace = ctx.arena.trace { trace.setField(trace.field(of: logits), of: conf) }
        return [loc, conf, marks]
    }

    public func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector) {
        let grid = AnchorGrid(strides: strides, perCell: Self.anchorsPerCell, inputHeight: inputHeight, inputWidth: inputWidth)
        precondition(raw[0].shape == [1, grid.count, 4], "RetinaFaceHead: loc \(raw[0].shape) does not fit \(grid.count) priors")
        let l = raw[0].pointer, c = raw[1].pointer, m = raw[2].pointer
        let w = Float(inputWidth), h = Float(inputHeight), v = Self.variances
        grid.forEach { level, li, row, col, a, index, offset in
            let i = offset + index
            guard collector.accepts(score: c[2 * i + 1], classID: 0) else { return }
            // PriorBox (clip off): centre and size relative to the input.
            let s = Float(level.stride), size = minSizes[li][a]
            let pcx = (Float(col) + 0.5) * s / w, pcy = (Float(row) + 0.5) * s / h, pw = size / w, ph = size / h
            var marks = [Float](repeating: 0, count: 10)
            for n in 0..<5 {
                marks[2 * n] = (pcx + m[10 * i + 2 * n] * v.0 * pw) * w
                marks[2 * n + 1] = (pcy + m[10 * i + 2 * n + 1] * v.0 * ph) * h
            }
            collector.offer(score: c[2 * i + 1], classID: 0, keypoints: marks) {
                let b = BoxCoder.fromPrior(cx: pcx, cy: pcy, width: pw, height: ph, l[4 * i], l[4 * i + 1], l[4 * i + 2], l[4 * i + 3], variances: v)
                return Box(x1: b.x1 * w, y1: b.y1 * h, x2: b.x2 * w, y2: b.y2 * h)
            }
        }
    }
}
