import Foundation
import ZooDetect
import ZooNN

/// DETR's prediction heads on the decoder states: `class_labels_classifier` (Linear d → classes + 1, the last
/// logit is "no object") and `bbox_predictor` (3-layer MLP d → d → d → 4, ReLU between, sigmoid: normalised
/// `cx, cy, w, h`). Port of HF transformers 5.23 `DetrForObjectDetection` heads and
/// `DetrImageProcessor.post_process_object_detection` (softmax, drop "no object", max over classes, score
/// threshold, boxes to corners scaled to the image). Set prediction: no NMS.
///
/// Input `B, Q, d`; outputs logits `B, Q, classes + 1` and boxes `B, Q, 4`.
public final class DETRHead {
    public let classes: Int, dModel: Int
    public var classLabelsClassifier: Linear
    /// `bbox_predictor.layers.{0,1,2}`.
    public var bboxPredictor: [Linear]

    public var postprocessing: Postprocessing { .none }

    public init(_ w: DETRCheckpoint, classes: Int, dModel d: Int) throws {
        self.classes = classes; dModel = d
        classLabelsClassifier = try w.linear("class_labels_classifier", in: d, out: classes + 1)
        bboxPredictor = [
            try w.linear("bbox_predictor.layers.0", in: d, out: d, activation: .relu),
            try w.linear("bbox_predictor.layers.1", in: d, out: d, activation: .relu),
            try w.linear("bbox_predictor.layers.2", in: d, out: 4, activation: .sigmoid),
        ]
    }

    /// (logits `B, Q, classes + 1`, pred_boxes `B, Q, 4` sigmoid `cx, cy, w, h` in 0…1).
    public func callAsFunction(_ hidden: Tensor, _ ctx: ForwardContext) -> (logits: Tensor, boxes: Tensor) {
        let b = hidden.shape[0], q = hidden.shape[1], rows = hidden.reshaped([b * q, dModel])
        let logits = ctx(classLabelsClassifier, rows).reshaped([b, q, classes + 1])
        var x = rows
        for l in bboxPredictor { x = ctx(l, x) }
        return (logits, x.reshaped([b, q, 4]))
    }

    /// `post_process_object_detection` for batch item `item`: every query whose best real-class probability passes
    /// the collector's threshold (strictly greater, as HF's `s > threshold`) is offered, its box scaled to
    /// `width × height` (HF's `target_sizes`; pass the input tensor's size and let the pipeline undo the resize).
    /// `labelMap`: HF's label (the arg-max over all real labels) → the class id offered; a nil entry drops the query
    /// (COCO's "N/A" ids: HF would report them); nil map: the label itself.
    public func decode(logits: Tensor, boxes: Tensor, item: Int, width: Float, height: Float, labelMap: [Int?]? = nil,
                       into collector: inout CandidateCollector) {
        let q = logits.shape[1], c = classes + 1
        for i in 0..<q {
            let row = logits.pointer + (item * q + i) * c
            // Softmax over classes + 1 (max-subtracted, Float as torch), then the best of the real classes.
            var mx = -Float.infinity
            for j in 0..<c { mx = max(mx, row[j]) }
            var sum: Float = 0
            for j in 0..<c { sum += expf(row[j] - mx) }
            var best = 0, bestLogit = row[0]
            for j in 1..<classes where row[j] > bestLogit { best = j; bestLogit = row[j] }
            let score = expf(bestLogit - mx) / sum
            let bx = boxes.pointer + (item * q + i) * 4
            var classID = best
            if let labelMap { guard best < labelMap.count, let c = labelMap[best] else { continue }; classID = c }
            collector.offer(score: score, classID: classID) {
                let cx = bx[0], cy = bx[1], w = bx[2], h = bx[3]
                return Box(x1: (cx - 0.5 * w) * width, y1: (cy - 0.5 * h) * height, x2: (cx + 0.5 * w) * width, y2: (cy + 0.5 * h) * height)
            }
        }
    }
}
