import Foundation
import ZooDetect
import ZooTensor

/// What the detection pipeline returns for one image; serialises to the `vz detect` JSON line
/// `{"image", "width", "height", "model", "timings_ms": {decode, preprocess, inference, postprocess},
///   "precision" (fp32|bf16: the arithmetic of the convolutions), "detections": [{"label", "class_id", "score", "box": [x1, y1, x2, y2]}]}` (boxes in original pixels).
public struct DetectorResult: Sendable {
    /// Stage wall times in milliseconds.
    public struct Timings: Sendable, Equatable {
        public var decode = 0.0, preprocess = 0.0, inference = 0.0, postprocess = 0.0
        public init() {}
    }
    /// The path or name given, nil for in-memory images.
    public var image: String?
    public var width: Int, height: Int
    public var model: String
    public var timings: Timings
    /// Sorted by descending score.
    public var detections: [Detection]
    /// The convolutions' arithmetic (`ComputePrecision`), "fp32" or "bf16".
    public var precision = ComputePrecision.default.rawValue

    public init(image: String?, width: Int, height: Int, model: String, timings: Timings, detections: [Detection]) {
        self.image = image; self.width = width; self.height = height; self.model = model
        self.timings = timings; self.detections = detections
    }

    /// The result as a JSON object (Foundation types), for the HTTP service.
    public var jsonObject: [String: Any] {
        [
            "image": image as Any? ?? NSNull(), "width": width, "height": height, "model": model,
            "timings_ms": ["decode": JSONPrecision.milliseconds(timings.decode), "preprocess": JSONPrecision.milliseconds(timings.preprocess),
                           "inference": JSONPrecision.milliseconds(timings.inference), "postprocess": JSONPrecision.milliseconds(timings.postprocess)],
            "precision": precision,
            "detections": detections.map { d -> [String: Any] in
                ["label": d.label ?? String(d.classID), "class_id": d.classID, "score": JSONPrecision.score(d.score) as Double,
                 "box": [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map { JSONPrecision.pixels($0) as Double }]
            },
        ]
    }

    /// One JSON line with keys in the documented order.
    public var jsonLine: String {
        var s = "{\"image\": \(image.map(jsonString) ?? "null"), \"width\": \(width), \"height\": \(height), "
        s += "\"model\": \(jsonString(model)), \"timings_ms\": {\"decode\": \(num(timings.decode)), "
        s += "\"preprocess\": \(num(timings.preprocess)), \"inference\": \(num(timings.inference)), "
        s += "\"postprocess\": \(num(timings.postprocess))}, \"precision\": \(jsonString(precision)), \"detections\": ["
        s += detections.map { d in
            "{\"label\": \(jsonString(d.label ?? String(d.classID))), \"class_id\": \(d.classID), \"score\": \(num(Double(d.score), 5)), "
                + "\"box\": [\(num(Double(d.box.x1), 2)), \(num(Double(d.box.y1), 2)), \(num(Double(d.box.x2), 2)), \(num(Double(d.box.y2), 2))]}"
        }.joined(separator: ", ")
        return s + "]}"
    }

    /// A table format of `vz detect --format`.
    public enum Table: String, Sendable, CaseIterable {
        /// RFC 4180: fields holding `,`, `"`, CR or LF are quoted, `"` doubled.
        case csv
        /// Tab-separated: a tab, newline, carriage return or backslash inside a field is written `\t`, `\n`,
        /// `\r`, `\\` (the text convention of PostgreSQL's COPY and of Python's csv readers with `escapechar`).
        case tsv
        var separator: String { self == .csv ? "," : "\t" }
        func field(_ s: String) -> String { self == .csv ? csvField(s) : tsvField(s) }
    }

    /// The header row of `table`.
    public static func header(_ table: Table) -> String {
        ["image", "width", "height", "label", "class_id", "score", "x1", "y1", "x2", "y2"].joined(separator: table.separator)
    }

    /// One row per detection; an image with no detections gets one row with the label, class, score and box
    /// fields empty (so "nothing found" differs from "not processed").
    public func rows(_ table: Table) -> [String] {
        let head = [table.field(image ?? ""), String(width), String(height)]
        guard !detections.isEmpty else { return [(head + Array(repeating: "", count: 7)).joined(separator: table.separator)] }
        return detections.map { d in
            (head + [table.field(d.label ?? String(d.classID)), String(d.classID), num(Double(d.score), 5),
                     num(Double(d.box.x1), 2), num(Double(d.box.y1), 2), num(Double(d.box.x2), 2), num(Double(d.box.y2), 2)])
                .joined(separator: table.separator)
        }
    }
}


/// A number with at most `digits` decimals, trailing zeros dropped (`12.5`, `3`).
private func num(_ v: Double, _ digits: Int = 3) -> String {
    guard v.isFinite else { return "null" }
    var s = String(format: "%.\(digits)f", v)
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    return s == "-0" ? "0" : s
}

/// A JSON string literal (also used by `vz detect` for the fields it appends to a result line).
public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

private func csvField(_ s: String) -> String {
    s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

private func tsvField(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        switch u {
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\\": out += "\\\\"
        default: out.unicodeScalars.append(u)
        }
    }
    return out
}
