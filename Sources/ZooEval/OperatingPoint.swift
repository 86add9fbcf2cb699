import Foundation

/// Precision, recall and F1 at one confidence threshold — the operating point `yolo val` prints ("P", "R") —
/// computed exactly as Ultralytics 8.3 does (`ultralytics.utils.metrics`):
///
/// 1. Matching (`DetectionValidator.match_predictions` without SciPy), per image: every (ground truth, detection)
///    pair of the same class with IoU ≥ 0.5 is a candidate; candidates are taken in decreasing IoU order, each
///    detection and each ground truth at most once. A matched detection is a true positive.
/// 2. Per class (`ap_per_class`): detections sorted by decreasing score; cumulative TP / FP give recall
///    `tp / n_gt` and precision `tp / (tp + fp)` as functions of the score, resampled at 1,000 confidences
///    `c = 0, 1/999, …, 1` with `np.interp(-c, -score, ·)` (recall 0 and precision 1 above the top score).
/// 3. F1 `= 2pr / (p + r + 1e-16)` per class; the operating point is the confidence that maximises the class-mean
///    F1 after `smooth(·, 0.1)` (a 101-point box filter with edge padding); P, R, F1 per class at that index, and
///    their means over the classes present in the ground truth ("all").
///
/// Crowd and VOC-difficult boxes are left out (Ultralytics' datasets have neither). Boxes are `x1, y1, x2, y2`
/// from the COCO `x, y, w, h` of `GTAnnotation` / `ResultDetection`.
public struct OperatingPoint: Sendable {
    /// One class's numbers at the chosen confidence.
    public struct ClassRow: Sendable {
        public let category: EvalCategory
        public let gtCount: Int
        public let detectionCount: Int
        public let precision: Double, recall: Double, f1: Double
        /// Ultralytics' derived counts: `tp = round(r · n_gt)`, `fp = round(tp / (p + eps) − tp)`.
        public let tp: Double, fp: Double
    }

    /// The confidence (one of the 1,000 grid values) at which the smoothed mean F1 peaks.
    public let confidence: Double
    /// Classes present in the ground truth, in category order.
    public let classes: [ClassRow]
    /// Means over `classes`.
    public let precision: Double, recall: Double, f1: Double
    /// The IoU threshold of the matching (0.5).
    public let iouThreshold: Double

    public static let gridSize = 1000

    /// Computes the operating point of `detections` (already in `gt`'s id space) at `iouThreshold`.
    public init(groundTruth gt: GroundTruth, detections: [ResultDetection], iouThreshold: Double = 0.5) {
        self.iouThreshold = iouThreshold
        let matched = Self.match(gt: gt, detections: detections, iouThreshold: iouThreshold)
        let gtCounts = Dictionary(grouping: gt.annotations.filter { !$0.isCrowd && !$0.isDifficult }, by: \.categoryID).mapValues(\.count)
        let present = gt.categories.filter { (gtCounts[$0.id] ?? 0) > 0 }
        let n = Self.gridSize
        let grid = (0..<n).map { Double($0) / Double(n - 1) }
        var pCurves: [[Double]] = [], rCurves: [[Double]] = [], detCounts: [Int] = []
        for c in present {
            let mine = matched.filter { $0.category == c.id }.sorted { $0.score > $1.score }
            // numpy's argsort(-conf) is a quicksort (not stable); ties among equal scores are rare and only
            // reorder equal-confidence points of the curve.
            detCounts.append(mine.count)
            var p = [Double](repeating: 0, count: n), r = [Double](repeating: 0, count: n)
            let nl = Double(gtCounts[c.id] ?? 0)
            if !mine.isEmpty {
                var tpc = 0.0, fpc = 0.0
                var xp: [Double] = [], recall: [Double] = [], precision: [Double] = []
                for d in mine {
                    if d.truePositive { tpc += 1 } else { fpc += 1 }
                    xp.append(-d.score)
                    recall.append(tpc / (nl + 1e-16))
                    precision.append(tpc / (tpc + fpc))
                }
                for (k, x) in grid.enumerated() {
                    r[k] = NumpyInterp.interp(-x, xp, recall, left: 0)
                    p[k] = NumpyInterp.interp(-x, xp, precision, left: 1)
                }
            }
            pCurves.append(p); rCurves.append(r)
        }
        var f1Curves: [[Double]] = []
        for (p, r) in zip(pCurves, rCurves) {
            f1Curves.append(zip(p, r).map { 2 * $0 * $1 / ($0 + $1 + 1e-16) })
        }
        var best = 0
        if !f1Curves.isEmpty {
            var mean = [Double](repeating: 0, count: n)
            for k in 0..<n { mean[k] = f1Curves.reduce(0) { $0 + $1[k] } / Double(f1Curves.count) }
            let smoothed = Self.smooth(mean, fraction: 0.1)
            for k in 1..<smoothed.count where smoothed[k] > smoothed[best] { best = k }
        }
        confidence = grid[best]
        classes = present.enumerated().map { i, c in
            let p = pCurves[i][best], r = rCurves[i][best], nl = Double(gtCounts[c.id] ?? 0)
            let tp = (r * nl).rounded(.toNearestOrEven)
            return ClassRow(category: c, gtCount: gtCounts[c.id] ?? 0, detectionCount: detCounts[i], precision: p, recall: r,
                            f1: f1Curves[i][best], tp: tp, fp: (tp / (p + 1e-16) - tp).rounded(.toNearestOrEven))
        }
        let k = Double(Swift.max(classes.count, 1))
        precision = classes.reduce(0) { $0 + $1.precision } / k
        recall = classes.reduce(0) { $0 + $1.recall } / k
        f1 = classes.reduce(0) { $0 + $1.f1 } / k
    }

    /// One detection with its match outcome.
    struct Matched { var category: Int; var score: Double; var truePositive: Bool }

    /// Ultralytics' `match_predictions`: per image, class-aware candidates at IoU ≥ threshold, taken by
    /// decreasing IoU (ties: numpy's `argsort()[::-1]` of a stable-order candidate list is emulated by keeping the
    /// later candidate first), each detection and ground truth once.
    static func match(gt: GroundTruth, detections: [ResultDetection], iouThreshold: Double) -> [Matched] {
        let gtByImage = Dictionary(grouping: gt.annotations.filter { !$0.isCrowd && !$0.isDifficult }, by: \.imageID)
        // Each image's detections in decreasing score order (stable), as Ultralytics' predictions leave NMS: the
        // order decides which of two detections matching one ground truth is kept.
        let detByImage = Dictionary(grouping: detections.indices, by: { detections[$0].imageID })
            .mapValues { $0.sorted { detections[$0].score != detections[$1].score ? detections[$0].score > detections[$1].score : $0 < $1 } }
        var out: [Matched] = []
        out.reserveCapacity(detections.count)
        for (image, indices) in detByImage.sorted(by: { $0.key < $1.key }) {
            let truths = gtByImage[image] ?? []
            var correct = [Bool](repeating: false, count: indices.count)
            // Candidates in numpy's nonzero order: row-major over (ground truth, detection).
            var candidates: [(g: Int, d: Int, iou: Double)] = []
            for (g, t) in truths.enumerated() {
                for (j, di) in indices.enumerated() {
                    let d = detections[di]
                    guard d.categoryID == t.categoryID else { continue }
                    let v = iou(t, d)
                    if v >= iouThreshold { candidates.append((g, j, v)) }
                }
            }
            if candidates.count > 1 {
                // `argsort()` (quicksort, ascending) then reversed: descending IoU. For equal IoUs numpy's order
                // is an implementation detail; a stable descending sort keeps them in candidate order.
                candidates = candidates.enumerated().sorted { a, b in a.element.iou != b.element.iou ? a.element.iou > b.element.iou : a.offset > b.offset }.map(\.element)
                // np.unique(matches[:, 1], return_index=True): the first occurrence of each detection, result
                // ordered by detection index; then the same on ground truths (first occurrence in that order).
                var firstByDet: [Int: (g: Int, d: Int, iou: Double)] = [:]
                for c in candidates where firstByDet[c.d] == nil { firstByDet[c.d] = c }
                let byDet = firstByDet.values.sorted { $0.d < $1.d }
                var firstByGT: [Int: (g: Int, d: Int, iou: Double)] = [:]
                for c in byDet where firstByGT[c.g] == nil { firstByGT[c.g] = c }
                candidates = Array(firstByGT.values)
            }
            for c in candidates { correct[c.d] = true }
            for (j, di) in indices.enumerated() {
                out.append(Matched(category: detections[di].categoryID, score: detections[di].score, truePositive: correct[j]))
            }
        }
        return out
    }

    /// IoU of two `x, y, w, h` boxes (`x2 = x + w`), Ultralytics' `box_iou` (eps 1e-7 in the denominator).
    static func iou(_ a: GTAnnotation, _ b: ResultDetection) -> Double {
        iou(a.x, a.y, a.x + a.width, a.y + a.height, b.x, b.y, b.x + b.width, b.y + b.height)
    }

    static func iou(_ ax1: Double, _ ay1: Double, _ ax2: Double, _ ay2: Double,
                    _ bx1: Double, _ by1: Double, _ bx2: Double, _ by2: Double) -> Double {
        let iw = Swift.max(0, Swift.min(ax2, bx2) - Swift.max(ax1, bx1))
        let ih = Swift.max(0, Swift.min(ay2, by2) - Swift.max(ay1, by1))
        let inter = iw * ih
        return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter + 1e-7)
    }

    /// Ultralytics' `smooth(y, f)`: box filter of `round(len · f · 2) // 2 + 1` points, edges padded with the end
    /// values, `np.convolve(…, mode="valid")`.
    static func smooth(_ y: [Double], fraction f: Double) -> [Double] {
        let nf = Int((Double(y.count) * f * 2).rounded(.toNearestOrEven)) / 2 + 1
        let pad = nf / 2
        let padded = [Double](repeating: y[0], count: pad) + y + [Double](repeating: y[y.count - 1], count: pad)
        let w = 1.0 / Double(nf)
        return (0...(padded.count - nf)).map { start in
            var s = 0.0
            for k in 0..<nf { s += padded[start + k] * w }
            return s
        }
    }

    /// The table printed by `vz eval`: `all` then one row per class, as `yolo val` does.
    public var table: String {
        let width = Swift.max(12, (classes.map(\.category.name.count).max() ?? 0) + 2)
        func pad(_ s: String) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
        func num(_ v: Double) -> String { let s = String(format: "%.3f", v); return String(repeating: " ", count: Swift.max(0, 8 - s.count)) + s }
        func int(_ v: Int) -> String { let s = String(v); return String(repeating: " ", count: Swift.max(0, 9 - s.count)) + s }
        var lines = [String(format: "Operating point (best mean F1, IoU %.2f): confidence %.3f", iouThreshold, confidence),
                     pad("class") + "   n_gt    n_det       P       R      F1"]
        lines.append(pad("all") + int(classes.reduce(0) { $0 + $1.gtCount }) + int(classes.reduce(0) { $0 + $1.detectionCount })
                     + num(precision) + num(recall) + num(f1))
        for c in classes {
            lines.append(pad(c.category.name) + int(c.gtCount) + int(c.detectionCount) + num(c.precision) + num(c.recall) + num(c.f1))
        }
        return lines.joined(separator: "\n")
    }

    /// `{"confidence", "iou", "all": {"precision", "recall", "f1"}, "per_class": {name: {...}}}` for `--output-json`.
    public var jsonObject: [String: Any] {
        func r(_ v: Double) -> Double { (v * 1e6).rounded() / 1e6 }
        var perClass: [String: Any] = [:]
        for c in classes {
            perClass[c.category.name] = ["precision": r(c.precision), "recall": r(c.recall), "f1": r(c.f1), "tp": c.tp, "fp": c.fp,
                                         "n_gt": c.gtCount, "n_det": c.detectionCount]
        }
        return ["confidence": r(confidence), "iou": iouThreshold,
                "all": ["precision": r(precision), "recall": r(recall), "f1": r(f1)], "per_class": perClass]
    }
}

/// `numpy.interp` for one point, with numpy's rules: `left` below `xp[0]`, `fp[last]` at or above `xp[last]`,
/// otherwise linear between `xp[j] ≤ x < xp[j+1]` (j the last index with `xp[j] ≤ x`, so repeated `xp` values
/// take the last one's segment).
enum NumpyInterp {
    static func interp(_ x: Double, _ xp: [Double], _ fp: [Double], left: Double) -> Double {
        let n = xp.count
        if x < xp[0] { return left }
        if x >= xp[n - 1] { return fp[n - 1] }
        // Binary search for the last j with xp[j] <= x.
        var lo = 0, hi = n - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if xp[mid] <= x { lo = mid } else { hi = mid }
        }
        let j = lo
        let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
        var v = slope * (x - xp[j]) + fp[j]
        if v.isNaN {
            v = slope * (x - xp[j + 1]) + fp[j + 1]
            if v.isNaN, fp[j] == fp[j + 1] { v = fp[j] }
        }
        return v
    }
}
