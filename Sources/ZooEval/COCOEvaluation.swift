import Foundation

/// The outcome of `COCOEvaluator`: pycocotools' `eval['precision']`, `eval['recall']` and the 12 summary numbers.
public struct COCOEvaluation: Sendable {
    public let params: COCOEvalParams
    /// Evaluated image ids, ascending (pycocotools' `params.imgIds`).
    public let imageIDs: [Int]
    /// Evaluated categories, ascending id (pycocotools' `params.catIds`).
    public let categories: [EvalCategory]
    /// Precision, layout `T, R, K, A, M` (IoU threshold, recall point, category, area range, maxDets); -1 where
    /// a category has no ground truth for that area range.
    public let precision: [Double]
    /// Recall, layout `T, K, A, M`; -1 where undefined.
    public let recall: [Double]
    /// Non-ignored ground-truth boxes per category (crowds and, when ignored, VOC difficult boxes excluded).
    public let gtCounts: [Int]
    /// Detections per category (all of them, before the maxDets cut).
    public let detectionCounts: [Int]

    var T: Int { params.iouThresholds.count }
    var R: Int { params.recallThresholds.count }
    var K: Int { categories.count }
    var A: Int { params.areaRanges.count }
    var M: Int { params.maxDetections.count }

    /// One line of `COCOeval.summarize()`: its parameters and value.
    public struct SummaryItem: Sendable {
        public let isPrecision: Bool
        public let iouThreshold: Double?
        public let area: String
        public let maxDets: Int
        public let value: Double
    }

    /// pycocotools' `_summarize(ap, iouThr, areaRng, maxDets)`: the mean of the selected entries that are
    /// greater than -1 (NumPy pairwise summation), or -1 when there are none.
    public func summarize(precision isPrecision: Bool, iouThreshold: Double? = nil, area: String = "all",
                          maxDets: Int = 100) -> Double {
        let aind = params.areaRanges.indices.filter { params.areaRanges[$0].label == area }
        let mind = params.maxDetections.indices.filter { params.maxDetections[$0] == maxDets }
        let tind = iouThreshold.map { thr in params.iouThresholds.indices.filter { params.iouThresholds[$0] == thr } }
            ?? Array(0..<T)
        // s[:, :, :, aind, mind]: the two index lists are broadcast together (NumPy advanced indexing).
        var pairs: [(Int, Int)] = []
        if aind.count == mind.count { pairs = Array(zip(aind, mind)) }
        else if aind.count == 1 { pairs = mind.map { (aind[0], $0) } }
        else if mind.count == 1 { pairs = aind.map { ($0, mind[0]) } }
        var values: [Double] = []
        for t in tind {
            if isPrecision {
                for r in 0..<R { for k in 0..<K { for (a, m) in pairs {
                    let v = precision[(((t * R + r) * K + k) * A + a) * M + m]
                    if v > -1 { values.append(v) }
                } } }
            } else {
                for k in 0..<K { for (a, m) in pairs {
                    let v = recall[((t * K + k) * A + a) * M + m]
                    if v > -1 { values.append(v) }
                } }
            }
        }
        return values.isEmpty ? -1 : NumpyCompat.mean(values)
    }

    /// The 12 lines of `summarize()` for bbox, in order (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100,
    /// ARs, ARm, ARl). As in pycocotools the first uses `maxDets == 100` literally and the others `maxDets[0…2]`.
    public var summaryItems: [SummaryItem] {
        let md = params.maxDetections
        let m0 = md[0], m1 = md.count > 1 ? md[1] : md[0], m2 = md.count > 2 ? md[2] : md[md.count - 1]
        let spec: [(Bool, Double?, String, Int)] = [
            (true, nil, "all", 100), (true, 0.5, "all", m2), (true, 0.75, "all", m2),
            (true, nil, "small", m2), (true, nil, "medium", m2), (true, nil, "large", m2),
            (false, nil, "all", m0), (false, nil, "all", m1), (false, nil, "all", m2),
            (false, nil, "small", m2), (false, nil, "medium", m2), (false, nil, "large", m2),
        ]
        return spec.map { isP, thr, area, m in
            SummaryItem(isPrecision: isP, iouThreshold: thr, area: area, maxDets: m,
                        value: summarize(precision: isP, iouThreshold: thr, area: area, maxDets: m))
        }
    }

    /// `COCOeval.stats`: the 12 summary numbers.
    public var stats: [Double] { summaryItems.map(\.value) }

    /// The summary as pycocotools prints it (` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.504`).
    public var summaryText: String {
        let thr = params.iouThresholds
        let range = thr.isEmpty ? "" : String(format: "%0.2f:%0.2f", thr[0], thr[thr.count - 1])
        return summaryItems.map { item in
            let title = item.isPrecision ? "Average Precision" : "Average Recall"
            let type = item.isPrecision ? "(AP)" : "(AR)"
            let iou = item.iouThreshold.map { String(format: "%0.2f", $0) } ?? range
            return " " + title.padding(toLength: 18, withPad: " ", startingAt: 0) + " \(type) @[ IoU="
                + iou.padding(toLength: Swift.max(9, iou.count), withPad: " ", startingAt: 0)
                + " | area=" + String(repeating: " ", count: Swift.max(0, 6 - item.area.count)) + item.area
                + " | maxDets=" + String(format: "%3d", item.maxDets) + " ] = " + String(format: "%0.3f", item.value)
        }.joined(separator: "\n")
    }

    /// Per-category AP over IoU .50:.95 and at IoU .50 (area "all", the largest maxDets), -1 when undefined.
    public struct ClassResult: Sendable {
        public let category: EvalCategory
        public let ap: Double
        public let ap50: Double
        public let gtCount: Int
        public let detectionCount: Int
    }

    public var perClass: [ClassResult] {
        let a = params.areaRanges.firstIndex { $0.label == "all" } ?? 0
        let m = M - 1
        let t50 = params.iouThresholds.firstIndex(of: 0.5)
        return categories.indices.map { k in
            var all: [Double] = [], at50: [Double] = []
            for t in 0..<T { for r in 0..<R {
                let v = precision[(((t * R + r) * K + k) * A + a) * M + m]
                if v > -1 { all.append(v); if t == t50 { at50.append(v) } }
            } }
            return ClassResult(category: categories[k], ap: all.isEmpty ? -1 : NumpyCompat.mean(all),
                               ap50: at50.isEmpty ? -1 : NumpyCompat.mean(at50),
                               gtCount: gtCounts[k], detectionCount: detectionCounts[k])
        }
    }

    /// The precision/recall curve at one IoU threshold (area "all", largest maxDets) for one category, or the
    /// mean over categories with ground truth when `category` is nil: `(recall, precision)` at the recall points.
    public func prCurve(iouThreshold: Double = 0.5, category: Int? = nil) -> [(recall: Double, precision: Double)] {
        guard let t = params.iouThresholds.firstIndex(where: { abs($0 - iouThreshold) < 1e-9 }) else { return [] }
        let a = params.areaRanges.firstIndex { $0.label == "all" } ?? 0
        let m = M - 1
        let ks = category.map { [$0] } ?? Array(0..<K)
        return (0..<R).compactMap { r in
            let vals = ks.map { precision[(((t * R + r) * K + $0) * A + a) * M + m] }.filter { $0 > -1 }
            return vals.isEmpty ? nil : (params.recallThresholds[r], NumpyCompat.mean(vals))
        }
    }
}
