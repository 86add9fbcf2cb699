import Foundation

/// What `vz eval` prints and writes (`--output-json`), for either protocol.
public struct EvalReport: Sendable {
    /// One row of the per-class table.
    public struct ClassRow: Sendable {
        public let name: String
        /// AP (COCO: IoU .50:.95; VOC: at IoU 0.5); -1 when the class has no ground truth.
        public let ap: Double
        /// AP at IoU 0.5 (VOC: the same as `ap`).
        public let ap50: Double
        public let gtCount: Int
        public let detectionCount: Int
    }

    /// "coco", "voc07" or "voc".
    public let protocolName: String
    public let imageCount: Int
    /// COCO: the 12 pycocotools numbers; VOC: `[mAP]`.
    public let stats: [Double]
    public let perClass: [ClassRow]
    /// COCO: pycocotools' 12 summary lines; VOC: the mAP line.
    public let summaryText: String

    public init(_ e: COCOEvaluation) {
        protocolName = "coco"
        imageCount = e.imageIDs.count
        stats = e.stats
        perClass = e.perClass.map { ClassRow(name: $0.category.name, ap: $0.ap, ap50: $0.ap50, gtCount: $0.gtCount,
                                              detectionCount: $0.detectionCount) }
        var text = e.summaryText
        if e.params.maxDetections.last != 100 {
            // pycocotools' first line looks for maxDets == 100 literally; say what the configured limit gives.
            let m = e.params.maxDetections.last!
            text += "\n (note: as in pycocotools the first line uses maxDets=100; AP @[ IoU=0.50:0.95 | area=all | maxDets=\(m) ] = "
                + String(format: "%0.3f", e.summarize(precision: true, maxDets: m)) + ")"
        }
        summaryText = text
    }

    public init(_ e: VOCEvaluation) {
        protocolName = e.metric == .voc07 ? "voc07" : "voc"
        imageCount = e.imageCount
        stats = [e.mAP]
        perClass = e.perClass.map { ClassRow(name: $0.category.name, ap: $0.ap ?? -1, ap50: $0.ap ?? -1,
                                              gtCount: $0.gtCount, detectionCount: $0.detectionCount) }
        let kind = e.metric == .voc07 ? "VOC2007 11-point" : "VOC2010+ all-point"
        summaryText = " mAP @[ IoU=" + String(format: "%0.2f", e.iouThreshold) + " | \(kind) ] = " + String(format: "%0.4f", e.mAP)
    }

    /// The per-class table: class, AP (and AP50 for COCO), ground-truth and detection counts.
    public var classTable: String {
        let width = Swift.max(5, perClass.map(\.name.count).max() ?? 5)
        func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: Swift.max(n, s.count), withPad: " ", startingAt: 0) }
        func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: Swift.max(0, n - s.count)) + s }
        func f(_ v: Double) -> String { v < 0 ? "-" : String(format: "%.3f", v) }
        let coco = protocolName == "coco"
        var lines = [pad("class", width) + lpad(coco ? "AP" : "AP50", 8) + (coco ? lpad("AP50", 8) : "") + lpad("n_gt", 8) + lpad("n_det", 8)]
        for r in perClass {
            lines.append(pad(r.name, width) + lpad(f(r.ap), 8) + (coco ? lpad(f(r.ap50), 8) : "")
                         + lpad(String(r.gtCount), 8) + lpad(String(r.detectionCount), 8))
        }
        return lines.joined(separator: "\n")
    }

    /// The names of `stats`' entries: pycocotools' 12 summary numbers in `COCOeval.stats` order, or VOC's `mAP`.
    public var statNames: [String] {
        protocolName == "coco" ? ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"] : ["mAP"]
    }

    /// `{"stats": {"AP": …, "AP50": …, …}, "stats_array": [COCOeval.stats order], "per_class": {name: {"ap",
    /// "ap50", "n_gt", "n_det"}}, "protocol": ..., "n_images": ...}` (-1 where undefined, as in pycocotools).
    public func jsonData() throws -> Data {
        var per: [String: Any] = [:]
        for r in perClass { per[r.name] = ["ap": r.ap, "ap50": r.ap50, "n_gt": r.gtCount, "n_det": r.detectionCount] }
        var named: [String: Double] = [:]
        for (n, v) in zip(statNames, stats) { named[n] = v }
        let obj: [String: Any] = ["stats": named, "stats_array": stats, "per_class": per, "protocol": protocolName,
                                  "n_images": imageCount]
        return try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
    }
}
