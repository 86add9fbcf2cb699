import Foundation
import ZooDetect
import ZooNN

/// torchvision's Fast R-CNN box branch at inference (`RoIHeads` without masks/keypoints): `MultiScaleRoIAlign`
/// (7×7, sampling ratio 2) of every proposal → the box head (`TwoMLPHead`: `box_head.fc6`, `fc7`, ReLU, 1024-d; or
/// the v2 detectors' `FastRCNNConvFCHead`: four 3×3 conv + BatchNorm + ReLU `box_head.{0…3}`, then `box_head.5`
/// linear + ReLU, 1024-d) →
/// `FastRCNNPredictor` (`box_predictor.cls_score` → `K+1` logits, `bbox_pred` → `4(K+1)` deltas) →
/// `postprocess_detections`: softmax, per-class boxes (`BoxCoder` weights 10, 10, 5, 5) clipped to the image,
/// background dropped, scores > `scoreThreshold`, boxes ≥ `minSize` on both sides, NMS at `nmsThreshold` per
/// class, the `detectionsPerImage` best. Port of torchvision `models/detection/roi_heads.py` and `faster_rcnn.py`.
public struct RoIHeads {
    public let pool = MultiScaleRoIAlign(outputSize: 7, samplingRatio: 2)
    /// The box head's layers.
    public enum BoxHead {
        /// `TwoMLPHead`: flatten → `fc6` → ReLU → `fc7` → ReLU.
        case twoMLP(fc6: Linear, fc7: Linear)
        /// `FastRCNNConvFCHead`: conv + BN (folded) + ReLU layers, flatten, linear + ReLU layers.
        case convFC(convs: [Conv2d], fcs: [Linear])
    }
    /// Which `box_head` layout a checkpoint has.
    public enum BoxHeadKind: Sendable, Equatable {
        case twoMLP
        /// `FastRCNNConvFCHead((256, 7, 7), [256] × 4, [1024], norm_layer=BatchNorm2d)`.
        case convFC
    }
    public let boxHead: BoxHead
    public let clsScore: Linear, bboxPred: Linear
    /// Classes including background (91 for torchvision's COCO models).
    public let classes: Int
    public let coder = BoxCoder.roiHeads
    public var scoreThreshold: Float = 0.05, nmsThreshold: Float = 0.5, detectionsPerImage = 100, minSize: Float = 1e-2

    /// Imports `<path>.box_head.*` (`fc6/fc7`, or `0…3` + `5` for `.convFC`) and `<path>.box_predictor.cls_score/bbox_pred`.
    public init(_ w: inout TorchWeightImporter, _ path: String, channels: Int, classes: Int, representation: Int = 1024,
                boxHead kind: BoxHeadKind = .twoMLP, batchNormEps: Float = 1e-5) throws {
        let flat = channels * 7 * 7   // MultiScaleRoIAlign output 7 × 7
        switch kind {
        case .twoMLP:
            boxHead = .twoMLP(fc6: try w.linear("\(path).box_head.fc6", in: flat, out: representation, activation: .relu),
                              fc7: try w.linear("\(path).box_head.fc7", in: representation, out: representation, activation: .relu))
        case .convFC:
            let convs = try (0..<4).map { i in
                try w.convBN("\(path).box_head.\(i).0", "\(path).box_head.\(i).1", in: channels, out: 256, kernel: 3, padding: 1,
                             activation: .relu, eps: batchNormEps)
            }
            boxHead = .convFC(convs: convs, fcs: [try w.linear("\(path).box_head.5", in: 256 * 7 * 7, out: representation, activation: .relu)])
        }
        clsScore = try w.linear("\(path).box_predictor.cls_score", in: representation, out: classes)
        bboxPred = try w.linear("\(path).box_predictor.bbox_pred", in: representation, out: 4 * classes)
        self.classes = classes
    }

    /// RoI features `K, C, 7, 7` of `proposals` from the levels `features` (FPN "0" … "3").
    public func roiFeatures(_ features: [Tensor], proposals: [Box], imageHeight: Int, imageWidth: Int, _ ctx: ForwardContext) -> Tensor {
        let c = features[0].shape[1]
        let out = ctx.arena.tensor([proposals.count, c, pool.outputSize, pool.outputSize])
        pool(features, boxes: proposals, imageHeight: imageHeight, imageWidth: imageWidth, into: out)
        return out
    }

    /// Class logits `K, classes` and box deltas `K, 4·classes` of pooled RoI features.
    public func predict(_ roi: Tensor, _ ctx: ForwardContext) -> (logits: Tensor, deltas: Tensor) {
        var h = roi
        switch boxHead {
        case .twoMLP(let fc6, let fc7):
            h = ctx(fc7, ctx(fc6, roi))
        case .convFC(let convs, let fcs):
            for c in convs { h = ctx(c, h) }
            for l in fcs { h = ctx(l, h) }
        }
        return (ctx(clsScore, h), ctx(bboxPred, h))
    }

    /// The final detections (input-tensor pixels; class ids 1…classes−1), best first.
    public func postprocess(logits: Tensor, deltas: Tensor, proposals: [Box], imageHeight: Int, imageWidth: Int) -> [Detection] {
        let k = classes
        var boxes: [Float] = [], scores: [Float] = [], labels: [Int32] = []
        var prob = [Float](repeating: 0, count: k)
        for (i, p) in proposals.enumerated() {
            let l = logits.pointer + i * k, d = deltas.pointer + i * 4 * k
            var m = -Float.infinity
            for c in 0..<k { m = Swift.max(m, l[c]) }
            var sum: Float = 0
            for c in 0..<k { prob[c] = Foundation.exp(l[c] - m); sum += prob[c] }
            let inv = 1 / sum   // torch's vectorised softmax multiplies by the reciprocal
            for c in 1..<k {
                let s = prob[c] * inv
                guard s > scoreThreshold else { continue }
                let b = coder.decode(d + 4 * c, relativeTo: p).clipped(width: Float(imageWidth), height: Float(imageHeight))
                guard b.x2 - b.x1 >= minSize, b.y2 - b.y1 >= minSize else { continue }
                boxes += [b.x1, b.y1, b.x2, b.y2]; scores.append(s); labels.append(Int32(c))
            }
        }
        let keep = NMS.indices(boxes: boxes, scores: scores, count: scores.count, threshold: nmsThreshold,
                               classes: labels, maxDetections: detectionsPerImage)
        return keep.map { j in
            Detection(box: Box(x1: boxes[4 * j], y1: boxes[4 * j + 1], x2: boxes[4 * j + 2], y2: boxes[4 * j + 3]),
                      score: scores[j], classID: Int(labels[j]))
        }
    }
}
