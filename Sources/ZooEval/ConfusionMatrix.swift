import Foundation
import ZooImage

/// The detection confusion matrix `yolo val` writes (Ultralytics 8.3 `ConfusionMatrix.process_batch`, task
/// detect): rows are predicted classes, columns true classes, the last row and column "background".
///
/// Per image: detections with score > `confidence` (0.25) are kept; every (ground truth, detection) pair with IoU >
/// `iouThreshold` (0.45), of any classes, is a candidate; candidates sorted by decreasing IoU, then one per
/// detection, re-sorted, one per ground truth. A ground truth with exactly one match adds 1 at (detection's class,
/// its class), otherwise at (background, its class); a detection left unmatched adds 1 at (its class, background).
/// Crowd and VOC-difficult boxes are left out.
public struct ConfusionMatrix: Sendable {
    public let categories: [EvalCategory]
    /// `(n + 1) × (n + 1)` counts, row-major: `counts[pred * (n + 1) + true]`, index `n` = background.
    public let counts: [Int]
    public let confidence: Double, iouThreshold: Double

    public var size: Int { categories.count + 1 }
    public func count(predicted p: Int, truth t: Int) -> Int { counts[p * size + t] }

    public init(groundTruth gt: GroundTruth, detections: [ResultDetection], confidence: Double = 0.25, iouThreshold: Double = 0.45) {
        categories = gt.categories
        self.confidence = confidence; self.iouThreshold = iouThreshold
        let n = gt.categories.count, size = n + 1
        var index: [Int: Int] = [:]
        for (i, c) in gt.categories.enumerated() { index[c.id] = i }
        var m = [Int](repeating: 0, count: size * size)
        let truthsByImage = Dictionary(grouping: gt.annotations.filter { !$0.isCrowd && !$0.isDifficult && index[$0.categoryID] != nil }, by: \.imageID)
        let detsByImage = Dictionary(grouping: detections.filter { $0.score > confidence && index[$0.categoryID] != nil }, by: \.imageID)
        for image in gt.images {
            let truths = truthsByImage[image.id] ?? []
            // Each image's detections in decreasing score order (NMS output order).
            let dets = (detsByImage[image.id] ?? []).enumerated()
                .sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }.map(\.element)
            var candidates: [(g: Int, d: Int, iou: Double)] = []
            for (g, t) in truths.enumerated() {
                for (j, d) in dets.enumerated() {
                    let v = OperatingPoint.iou(t, d)
                    if v > iouThreshold { candidates.append((g, j, v)) }
                }
            }
            if candidates.count > 1 {
                func byIoU(_ c: [(g: Int, d: Int, iou: Double)]) -> [(g: Int, d: Int, iou: Double)] {
                    c.enumerated().sorted { a, b in a.element.iou != b.element.iou ? a.element.iou > b.element.iou : a.offset > b.offset }.map(\.element)
                }
                var first: [Int: (g: Int, d: Int, iou: Double)] = [:]
                for c in byIoU(candidates) where first[c.d] == nil { first[c.d] = c }
                let perDetection = byIoU(first.values.sorted { $0.d < $1.d })
                var firstGT: [Int: (g: Int, d: Int, iou: Double)] = [:]
                for c in perDetection where firstGT[c.g] == nil { firstGT[c.g] = c }
                candidates = firstGT.values.sorted { $0.g < $1.g }
            }
            for (g, t) in truths.enumerated() {
                let gc = index[t.categoryID]!
                let hits = candidates.filter { $0.g == g }
                if hits.count == 1 { m[index[dets[hits[0].d].categoryID]! * size + gc] += 1 } else { m[n * size + gc] += 1 }
            }
            for (j, d) in dets.enumerated() where !candidates.contains(where: { $0.d == j }) {
                m[index[d.categoryID]! * size + n] += 1
            }
        }
        counts = m
    }

    /// `{"names": [..., "background"], "matrix": [[row of predicted class 0], …], "rows": "predicted", …}`.
    public var jsonObject: [String: Any] {
        ["names": categories.map(\.name) + ["background"], "rows": "predicted", "columns": "true",
         "confidence": confidence, "iou": iouThreshold,
         "matrix": (0..<size).map { p in (0..<size).map { t in count(predicted: p, truth: t) } }]
    }

    /// A heat map (column-normalised, as Ultralytics' default plot): cells shaded by the fraction of each true
    /// class's boxes, counts written in the cells, class names along both axes.
    public func render() -> Image {
        let n = size
        let cell = n <= 12 ? 44 : (n <= 30 ? 26 : 16)
        let names = categories.map(\.name) + ["background"]
        let labelW = Swift.min(160, (names.map(\.count).max() ?? 4) * 6 + 10)
        let left = labelW + 30, top = 60
        let width = left + n * cell + 20, height = top + n * cell + labelW + 40
        var img = Image(width: width, height: height, fill: (255, 255, 255))
        let ink: (UInt8, UInt8, UInt8) = (0, 0, 0)
        let title = String(format: "Confusion matrix (conf %.2f, IoU %.2f), column-normalised", confidence, iouThreshold)
        img.drawLabel(title, x: 8, y: 8, color: ink, scale: 2)
        img.drawLabel("predicted (rows) / true (columns)", x: 8, y: 32, color: ink, scale: 1)
        for t in 0..<n {
            let total = (0..<n).reduce(0) { $0 + count(predicted: $1, truth: t) }
            for p in 0..<n {
                let c = count(predicted: p, truth: t)
                let f = total > 0 ? Double(c) / Double(total) : 0
                // White → dark blue.
                let shade: (UInt8, UInt8, UInt8) = (UInt8(255 - 247 * f), UInt8(255 - 207 * f), UInt8(255 - 148 * f))
                img.fillRect(x: left + t * cell, y: top + p * cell, width: cell - 1, height: cell - 1, color: shade)
                if c > 0 && cell >= 26 {
                    let text = String(c)
                    let tw = BitmapFont.textSize(text, scale: 1).width
                    img.drawLabel(text, x: left + t * cell + (cell - tw) / 2, y: top + p * cell + cell / 2 - 4,
                                  color: f > 0.5 ? (255, 255, 255) : ink, scale: 1)
                }
            }
        }
        for (i, name) in names.enumerated() {
            let short = name.count > 24 ? String(name.prefix(23)) + "~" : name
            img.drawLabel(short, x: left - BitmapFont.textSize(short, scale: 1).width - 6, y: top + i * cell + cell / 2 - 4, color: ink, scale: 1)
            // Column names written downwards, one character per line, under the matrix.
            for (k, ch) in short.prefix(labelW / 9).enumerated() {
                img.drawLabel(String(ch), x: left + i * cell + cell / 2 - 3, y: top + n * cell + 6 + k * 9, color: ink, scale: 1)
            }
        }
        return img
    }

    /// Writes the heat map as PNG and the counts as JSON beside it (`.json` for the `.png`'s extension).
    public func write(png url: URL) throws {
        do {
            try ImageEncoder.png(render(), name: url.path).write(to: url)
            let json = try JSONSerialization.data(withJSONObject: jsonObject, options: [.sortedKeys])
            try json.write(to: url.deletingPathExtension().appendingPathExtension("json"))
        } catch {
            throw EvalError.unreadable(file: url.path, reason: "cannot write the confusion matrix: \(error)")
        }
    }
}
