import Foundation

/// Writes detections as a COCO results file: `[{"image_id", "category_id", "bbox": [x, y, w, h], "score"}, …]`.
public enum COCOResultsWriter {
    /// The JSON text (numbers in Swift's shortest round-trip form, so reading it back gives the same doubles).
    public static func data(_ detections: [ResultDetection]) -> Data {
        var s = "["
        s.reserveCapacity(detections.count * 96 + 2)
        for (n, d) in detections.enumerated() {
            if n > 0 { s += ",\n" }
            s += "{\"image_id\":\(d.imageID),\"category_id\":\(d.categoryID),\"bbox\":[\(num(d.x)),\(num(d.y)),\(num(d.width)),\(num(d.height))],\"score\":\(num(d.score))}"
        }
        s += "]\n"
        return Data(s.utf8)
    }

    public static func write(_ detections: [ResultDetection], to url: URL) throws {
        do { try data(detections).write(to: url) } catch {
            throw EvalError.unreadable(file: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Integers without a fraction, others in shortest round-trip form; non-finite values as 0.
    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return "\(v)"
    }
}
