import Foundation

/// Pascal VOC average precision at one IoU threshold (0.5), per category.
///
/// Port of the logic of the well-known `voc_eval.py` (py-faster-rcnn / Detectron): detections of a class sorted
/// by score (stable here, so ties keep file order), each matched to the ground truth of its image with the
/// highest overlap (first one on ties) using VOC's inclusive pixel convention (`w = x2 - x1 + 1`); overlap must
/// exceed the threshold; a match to a `difficult` box (COCO crowds count as difficult) is neither a true nor a
/// false positive; a second match to the same box is a false positive.
public struct VOCEvaluator: Sendable {
    /// How the precision/recall curve is integrated.
    public enum Metric: String, Sendable {
        /// VOC2007: mean of the maximum precision at recall ≥ 0, 0.1, …, 1.0 (11 points).
        case voc07
        /// VOC2010 and later: area under the monotone precision envelope at every recall change.
        case allPoint = "voc"
    }

    public var metric: Metric
    public var iouThreshold: Double
    /// Honour `difficult` flags (VOC practice). When false, difficult boxes count like any other.
    public var ignoreDifficult: Bool

    public init(metric: Metric = .allPoint, iouThreshold: Double = 0.5, ignoreDifficult: Bool = true) {
        self.metric = metric; self.iouThreshold = iouThreshold; self.ignoreDifficult = ignoreDifficult
    }

    /// Evaluates `detections` (in the dataset's ids) per dataset category; detections of other categories are
    /// left out, detections on images not in the dataset are an error.
    public func evaluate(groundTruth gt: GroundTruth, detections: [ResultDetection]) throws -> VOCEvaluation {
        let categories = gt.categories.sorted { $0.id < $1.id }
        var categoryIndex: [Int: Int] = [:]
        for (k, c) in categories.enumerated() { categoryIndex[c.id] = k }
        var imageIndex: [Int: Int] = [:]
        for (i, img) in gt.images.enumerated() where imageIndex[img.id] == nil { imageIndex[img.id] = i }
        let I = gt.images.count, K = categories.count
        // Ground truth per (category, image) in file order.
        var gtByCell = [[Int]](repeating: [], count: K * I)
        for (n, a) in gt.annotations.enumerated() {
            guard let k = categoryIndex[a.categoryID], let i = imageIndex[a.imageID] else { continue }
            gtByCell[k * I + i].append(n)
        }
        var detsByCategory = [[Int]](repeating: [], count: K)
        for (n, d) in detections.enumerated() {
            guard imageIndex[d.imageID] != nil else {
                throw EvalError.mismatch("detection \(n) is on image id \(d.imageID), which is not in the ground truth")
            }
            if let k = categoryIndex[d.categoryID] { detsByCategory[k].append(n) }
        }
        var results: [VOCEvaluation.ClassResult] = []
        for k in 0..<K {
            var npos = 0
            for i in 0..<I {
                for n in gtByCell[k * I + i] where !isDifficult(gt.annotations[n]) { npos += 1 }
            }
            var order = detsByCategory[k]
            order.sort { detections[$0].score > detections[$1].score
                || (detections[$0].score == detections[$1].score && $0 < $1) }
            var used = [Bool](repeating: false, count: gt.annotations.count)
            var tp = [Double](), fp = [Double]()
            tp.reserveCapacity(order.count); fp.reserveCapacity(order.count)
            for n in order {
                let d = detections[n]
                let bx1 = d.x, by1 = d.y, bx2 = d.x + d.width, by2 = d.y + d.height
                var ovmax = -Double.infinity, jmax = -1
                for g in gtByCell[k * I + imageIndex[d.imageID]!] {
                    let a = gt.annotations[g]
                    let gx1 = a.x, gy1 = a.y, gx2 = a.x + a.width, gy2 = a.y + a.height
                    let iw = Swift.max(Swift.min(gx2, bx2) - Swift.max(gx1, bx1) + 1, 0)
                    let ih = Swift.max(Swift.min(gy2, by2) - Swift.max(gy1, by1) + 1, 0)
                    let inters = iw * ih
                    let uni = (bx2 - bx1 + 1) * (by2 - by1 + 1) + (gx2 - gx1 + 1) * (gy2 - gy1 + 1) - inters
                    let o = inters / uni
                    if o > ovmax || jmax < 0 { ovmax = o; jmax = g }
                }
                var t = 0.0, f = 0.0
                if ovmax > iouThreshold {
                    if !isDifficult(gt.annotations[jmax]) {
                        if !used[jmax] { t = 1; used[jmax] = true } else { f = 1 }
                    }
                } else {
                    f = 1
                }
                tp.append(t); fp.append(f)
            }
            var ap: Double? = nil
            var rec = [Double](), prec = [Double]()
            if npos > 0 {
                var ctp = 0.0, cfp = 0.0
                for j in 0..<tp.count {
                    ctp += tp[j]; cfp += fp[j]
                    rec.append(ctp / Double(npos))
                    prec.append(ctp / Swift.max(ctp + cfp, Double.ulpOfOne))
                }
                ap = Self.averagePrecision(recall: rec, precision: prec, metric: metric)
            }
            results.append(VOCEvaluation.ClassResult(category: categories[k], ap: ap, gtCount: npos,
                                                     detectionCount: order.count, recall: rec, precision: prec))
        }
        return VOCEvaluation(metric: metric, iouThreshold: iouThreshold, imageCount: I, perClass: results)
    }

    func isDifficult(_ a: GTAnnotation) -> Bool { a.isCrowd || (ignoreDifficult && a.isDifficult) }

    /// `voc_ap(rec, prec, use_07_metric)`.
    public static func averagePrecision(recall rec: [Double], precision prec: [Double], metric: Metric) -> Double {
        switch metric {
        case .voc07:
            var ap = 0.0
            for i in 0...10 {
                let t = Double(i) * 0.1   // np.arange(0., 1.1, 0.1)
                var p = -Double.infinity, any = false
                for j in 0..<rec.count where rec[j] >= t { any = true; p = Swift.max(p, prec[j]) }
                ap = ap + (any ? p : 0) / 11.0
            }
            return ap
        case .allPoint:
            let mrec = [0.0] + rec + [1.0]
            var mpre = [0.0] + prec + [0.0]
            for i in stride(from: mpre.count - 1, to: 0, by: -1) { mpre[i - 1] = Swift.max(mpre[i - 1], mpre[i]) }
            var terms: [Double] = []
            for i in 0..<(mrec.count - 1) where mrec[i + 1] != mrec[i] { terms.append((mrec[i + 1] - mrec[i]) * mpre[i + 1]) }
            return terms.withUnsafeBufferPointer { NumpyCompat.pairwiseSum($0) }
        }
    }
}

/// The outcome of `VOCEvaluator`: AP per category and their mean.
public struct VOCEvaluation: Sendable {
    public struct ClassResult: Sendable {
        public let category: EvalCategory
        /// nil when the category has no non-difficult ground truth.
        public let ap: Double?
        /// Non-difficult ground-truth boxes.
        public let gtCount: Int
        public let detectionCount: Int
        /// Cumulative recall and precision after each detection (score order).
        public let recall: [Double]
        public let precision: [Double]
    }

    public let metric: VOCEvaluator.Metric
    public let iouThreshold: Double
    public let imageCount: Int
    public let perClass: [ClassResult]

    /// Mean AP over the categories that have ground truth (-1 when none has).
    public var mAP: Double {
        let aps = perClass.compactMap(\.ap)
        return aps.isEmpty ? -1 : NumpyCompat.mean(aps)
    }
}
