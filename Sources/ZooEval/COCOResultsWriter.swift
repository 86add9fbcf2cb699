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

    /// A self-describing results file: `{"images": [{"id", "file_name", "width", "height"}], "categories":
    /// [{"id", "name"}], "annotations": [results as above]}`. `vz eval --detections` matches it to any ground
    /// truth of the same images by file name and class name, so results made against VOC/YOLO annotations (whose
    /// ids are assigned by the reader) score the same against a COCO json of those images.
    public static func data(_ detections: [ResultDetection], images: [EvalImage], categories: [EvalCategory]) -> Data {
        func quoted(_ s: String) -> String {
            String(decoding: (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8),
                   as: UTF8.self).dropFirst().dropLast().description
        }
        var s = "{\"images\":[\n"
        s += images.map { "{\"id\":\($0.id),\"file_name\":\(quoted($0.fileName)),\"width\":\($0.width),\"height\":\($0.height)}" }
            .joined(separator: ",\n")
        s += "],\n\"categories\":[\n"
        s += categories.map { "{\"id\":\($0.id),\"name\":\(quoted($0.name))}" }.joined(separator: ",\n")
        s += "],\n\"annotations\":"
        s += String(decoding: data(detections), as: UTF8.self)
        s.removeLast()   // the list's newline
        return Data((s + "}\n").utf8)
    }

    /// Writes the plain list (`images`/`categories` nil: pycocotools' `loadRes` input, for COCO ground truth), or the
    /// self-describing object when they are given.
    public static func write(_ detections: [ResultDetection], to url: URL, images: [EvalImage]? = nil,
                             categories: [EvalCategory]? = nil) throws {
        let bytes = images.map { data(detections, images: $0, categories: categories ?? []) } ?? data(detections)
        do { try bytes.write(to: url) } catch {
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
