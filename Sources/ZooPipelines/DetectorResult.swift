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
            "timings_ms": ["decode": round3(timings.decode), "preprocess": round3(timings.preprocess),
                           "inference": round3(timings.inference), "postprocess": round3(timings.postprocess)],
            "precision": precision,
            "detections": detections.map { d -> [String: Any] in
                ["label": d.label ?? String(d.classID), "class_id": d.classID, "score": Double(round5(d.score)),
                 "box": [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map { Double(round2($0)) }]
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

    /// `--format txt`: one line per detection, `image label score x1 y1 x2 y2`.
    public var textLines: [String] {
        detections.map { d in
            "\(image ?? "-") \(d.label ?? String(d.classID)) \(num(Double(d.score), 4)) \(num(Double(d.box.x1), 1)) \(num(Double(d.box.y1), 1)) \(num(Double(d.box.x2), 1)) \(num(Double(d.box.y2), 1))"
        }
    }

    /// `--format csv` header.
    public static let csvHeader = "image,width,height,label,class_id,score,x1,y1,x2,y2"

    /// `--format csv`: one row per detection (RFC 4180 quoting of the path).
    public var csvRows: [String] {
        detections.map { d in
            [csvField(image ?? ""), String(width), String(height), csvField(d.label ?? String(d.classID)), String(d.classID),
             num(Double(d.score), 5), num(Double(d.box.x1), 2), num(Double(d.box.y1), 2), num(Double(d.box.x2), 2), num(Double(d.box.y2), 2)]
                .joined(separator: ",")
        }
    }
}

private func round2(_ v: Float) -> Float { (v * 100).rounded() / 100 }
private func round5(_ v: Float) -> Float { (v * 100_000).rounded() / 100_000 }
private func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

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
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
