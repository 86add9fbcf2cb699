/// A precision/recall curve to plot: monotone (envelope) precision at increasing recall.
public struct PRCurve: Sendable {
    public var name: String
    /// Recall values, ascending.
    public var recall: [Double]
    /// Precision at each recall value.
    public var precision: [Double]
    /// The AP this curve stands for (COCO: AP at IoU 0.5; VOC: the class AP).
    public var ap: Double
    /// Ground-truth boxes behind the curve (all classes for "all").
    public var gtCount: Int

    public init(name: String, recall: [Double], precision: [Double], ap: Double, gtCount: Int = 0) {
        self.name = name; self.recall = recall; self.precision = precision; self.ap = ap; self.gtCount = gtCount
    }

    /// COCO at IoU 0.5 (area all, largest maxDets): the mean over classes first ("all"), then each class with
    /// ground truth, sampled at pycocotools' 101 recall points.
    public static func curves(_ e: COCOEvaluation) -> [PRCurve] {
        func make(_ name: String, _ k: Int?) -> PRCurve? {
            let pts = e.prCurve(iouThreshold: 0.5, category: k)
            guard !pts.isEmpty else { return nil }
            let p = pts.map(\.precision)
            let n = k.map { e.gtCounts[$0] } ?? e.gtCounts.reduce(0, +)
            return PRCurve(name: name, recall: pts.map(\.recall), precision: p, ap: NumpyCompat.mean(p), gtCount: n)
        }
        var out: [PRCurve] = []
        if let all = make("all", nil) { out.append(all) }
        for (k, c) in e.categories.enumerated() { if let curve = make(c.name, k) { out.append(curve) } }
        return out
    }

    /// VOC: each class's envelope at its own recall steps, and "all" as the mean over classes of the envelope
    /// sampled at 101 recall points.
    public static func curves(_ e: VOCEvaluation) -> [PRCurve] {
        var perClass: [PRCurve] = []
        for c in e.perClass {
            guard let ap = c.ap else { continue }
            var p = c.precision
            for i in stride(from: p.count - 1, to: 0, by: -1) { p[i - 1] = Swift.max(p[i - 1], p[i]) }
            perClass.append(PRCurve(name: c.category.name, recall: c.recall, precision: p, ap: ap, gtCount: c.gtCount))
        }
        guard !perClass.isEmpty else { return [] }
        let points = NumpyCompat.linspace(0, 1, 101)
        let mean = points.map { r in
            NumpyCompat.mean(perClass.map { c in c.recall.firstIndex { $0 >= r }.map { c.precision[$0] } ?? 0 })
        }
        return [PRCurve(name: "all", recall: points, precision: mean, ap: e.mAP, gtCount: perClass.reduce(0) { $0 + $1.gtCount })] + perClass
    }
}
