import Foundation
import ZooImage

/// Semantic-segmentation metrics over a folder of predicted label maps against a folder of ground-truth label
/// maps (gray or palette PNGs, one class index per pixel; files paired by stem), as defined by Long, Shelhamer
/// and Darrell (FCN, 2015) and computed by the usual `fast_hist` code. With `n_ij` the pixels of true class i
/// predicted as j (pixels whose true label is `ignoreIndex` left out; predicted labels ≥ `classCount` counted as
/// wrong), `t_i = Σ_j n_ij`, and the per-class IoU `n_ii / (t_i + Σ_j n_ji − n_ii)`:
///
/// - pixel accuracy `Σ_i n_ii / Σ_i t_i`
/// - mean accuracy: the mean of `n_ii / t_i` over classes with `t_i > 0`
/// - mean IoU: the mean of the IoU over classes whose denominator is > 0 (present in truth or prediction)
/// - frequency-weighted IoU `Σ_i t_i · IoU_i / Σ_i t_i`
public struct SegmentationEvaluator: Sendable {
    /// Classes `0..<classCount`; nil: the largest true label (other than `ignoreIndex`) + 1.
    public var classCount: Int?
    /// A true label to leave out (VOC's 255 border); nil: none.
    public var ignoreIndex: Int? = 255

    public init(classCount: Int? = nil, ignoreIndex: Int? = 255) { self.classCount = classCount; self.ignoreIndex = ignoreIndex }

    public struct Result: Sendable {
        public let classCount: Int
        public let imageCount: Int
        /// `counts[i * classCount + j]`: true i, predicted j.
        public let counts: [Int]
        public let pixelAccuracy: Double, meanAccuracy: Double, meanIoU: Double, frequencyWeightedIoU: Double
        /// Per class: IoU (nil when the class is in neither truth nor prediction) and accuracy (nil without truth).
        public let classIoU: [Double?], classAccuracy: [Double?]

        public var jsonObject: [String: Any] {
            func r(_ v: Double) -> Double { (v * 1e9).rounded() / 1e9 }
            return ["task": "segmentation", "images": imageCount, "classes": classCount,
                    "pixel_accuracy": r(pixelAccuracy), "mean_accuracy": r(meanAccuracy), "mean_iou": r(meanIoU),
                    "frequency_weighted_iou": r(frequencyWeightedIoU),
                    "per_class_iou": classIoU.map { $0.map(r) as Any? ?? NSNull() },
                    "per_class_accuracy": classAccuracy.map { $0.map(r) as Any? ?? NSNull() }]
        }

        public var text: String {
            var lines = [String(format: "Pixel accuracy %.4f, mean accuracy %.4f, mean IoU %.4f, frequency-weighted IoU %.4f (%d images, %d classes)",
                                pixelAccuracy, meanAccuracy, meanIoU, frequencyWeightedIoU, imageCount, classCount),
                         "class        IoU   accuracy   pixels"]
            for k in 0..<classCount {
                let t = (0..<classCount).reduce(0) { $0 + counts[k * classCount + $1] }
                func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "     -" }
                lines.append(String(format: "%-8d", k) + "  " + f(classIoU[k]) + "     " + f(classAccuracy[k]) + "   \(t)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Evaluates every ground-truth PNG of `truthDirectory` against the prediction with the same stem in
    /// `predictionDirectory` (a missing or mis-sized prediction is an error naming both files).
    public func evaluate(predictions predictionDirectory: URL, truth truthDirectory: URL) throws -> Result {
        let fm = FileManager.default
        func pngs(_ dir: URL) throws -> [String: URL] {
            guard let names = try? fm.contentsOfDirectory(atPath: dir.path) else {
                throw EvalError.unreadable(file: dir.path, reason: "cannot list the folder")
            }
            var out: [String: URL] = [:]
            for n in names where n.lowercased().hasSuffix(".png") { out[(n as NSString).deletingPathExtension] = dir.appendingPathComponent(n) }
            return out
        }
        let truths = try pngs(truthDirectory), preds = try pngs(predictionDirectory)
        guard !truths.isEmpty else { throw EvalError.unreadable(file: truthDirectory.path, reason: "no .png label maps") }
        func read(_ url: URL) throws -> LabelMap {
            do { return try LabelMap.decode(try ImageDecoder.readFile(url), name: url.path) } catch let e as ImageError {
                throw EvalError.unreadable(file: url.path, reason: "\(e)")
            }
        }
        var pairs: [(LabelMap, LabelMap)] = []
        var maxLabel = -1
        for stem in truths.keys.sorted() {
            guard let p = preds[stem] else {
                throw EvalError.mismatch("\(truths[stem]!.path): no prediction \(stem).png in \(predictionDirectory.path)")
            }
            let t = try read(truths[stem]!), q = try read(p)
            guard t.width == q.width, t.height == q.height else {
                throw EvalError.mismatch("\(p.path) is \(q.width)x\(q.height), its ground truth \(truths[stem]!.path) is \(t.width)x\(t.height)")
            }
            for v in t.labels where ignoreIndex == nil || Int(v) != ignoreIndex! { maxLabel = Swift.max(maxLabel, Int(v)) }
            pairs.append((q, t))
        }
        let k = classCount ?? Swift.max(1, maxLabel + 1)
        return Self.metrics(pairs: pairs, classes: k, ignore: ignoreIndex)
    }

    /// The metrics of label-map pairs `(prediction, truth)`.
    public static func metrics(pairs: [(LabelMap, LabelMap)], classes k: Int, ignore: Int?) -> Result {
        var counts = [Int](repeating: 0, count: k * k)
        var wrongOutside = [Int](repeating: 0, count: k)   // true i, predicted a label >= k
        for (p, t) in pairs {
            for i in 0..<t.labels.count {
                let g = Int(t.labels[i])
                if let ignore, g == ignore { continue }
                guard g < k else { continue }
                let q = Int(p.labels[i])
                if q < k { counts[g * k + q] += 1 } else { wrongOutside[g] += 1 }
            }
        }
        var ious: [Double?] = [], accs: [Double?] = []
        var correct = 0, total = 0, fw = 0.0
        for i in 0..<k {
            let tp = counts[i * k + i]
            let truthTotal = (0..<k).reduce(0) { $0 + counts[i * k + $1] } + wrongOutside[i]
            let predTotal = (0..<k).reduce(0) { $0 + counts[$1 * k + i] }
            correct += tp; total += truthTotal
            let union = truthTotal + predTotal - tp
            let iou: Double? = union > 0 ? Double(tp) / Double(union) : nil
            ious.append(iou)
            accs.append(truthTotal > 0 ? Double(tp) / Double(truthTotal) : nil)
            if let iou { fw += Double(truthTotal) * iou }
        }
        func mean(_ v: [Double?]) -> Double { let x = v.compactMap { $0 }; return x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }
        return Result(classCount: k, imageCount: pairs.count, counts: counts,
                      pixelAccuracy: total > 0 ? Double(correct) / Double(total) : 0, meanAccuracy: mean(accs), meanIoU: mean(ious),
                      frequencyWeightedIoU: total > 0 ? fw / Double(total) : 0, classIoU: ious, classAccuracy: accs)
    }
}
