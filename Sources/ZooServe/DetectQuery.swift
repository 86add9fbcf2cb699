import Foundation
import Hummingbird
import ZooPipelines

/// `POST /v1/detect` query parameters, named like the `vz detect` flags:
/// `model`, `conf`, `iou`, `size`, `classes` (comma-separated), `max-det`, `agnostic`, `no-letterbox`.
struct DetectQuery {
    var model: String?
    /// nil when no option is given (the model's defaults, as `vz detect` without flags).
    var options: DetectorOptions?

    static let known: Set<String> = ["model", "conf", "iou", "size", "classes", "max-det", "agnostic", "no-letterbox"]

    /// `pairs`: the query's (name, value) pairs in order (a repeated name: the first wins).
    init(_ pairs: [(String, String)]) throws {
        var q: [String: String] = [:]
        for (k, v) in pairs where q[k] == nil { q[k] = v }
        var o = DetectorOptions()
        var any = false
        for (k, _) in pairs where !Self.known.contains(k) {
            throw ServeError.badRequest("unknown query parameter '\(k)' (known: \(Self.known.sorted().joined(separator: ", ")))")
        }
        func number(_ name: String, in range: ClosedRange<Float>) throws -> Float? {
            guard let s = q[name] else { return nil }
            guard let v = Float(s), range.contains(v) else { throw ServeError.badRequest("\(name): '\(s)' is not a number in [\(range.lowerBound), \(range.upperBound)]") }
            any = true
            return v
        }
        func flag(_ name: String) throws -> Bool {
            guard let s = q[name] else { return false }
            switch s.lowercased() {
            case "", "1", "true", "yes": any = true; return true
            case "0", "false", "no": return false
            default: throw ServeError.badRequest("\(name): '\(s)' is not a boolean (true/false)")
            }
        }
        if let v = try number("conf", in: 0...1) { o.confidence = v }
        if let v = try number("iou", in: 0...1) { o.iou = v }
        if let s = q["size"] {
            guard let v = Int(s), v > 0 else { throw ServeError.badRequest("size: '\(s)' is not a positive integer") }
            o.size = v; any = true
        }
        if let s = q["max-det"] {
            guard let v = Int(s), v >= 0 else { throw ServeError.badRequest("max-det: '\(s)' is not an integer >= 0") }
            o.maxDetections = v; any = true
        }
        if let s = q["classes"] {
            o.classes = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            any = true
        }
        o.agnostic = try flag("agnostic")
        if try flag("no-letterbox") { o.resize = .stretch }
        model = q["model"]
        options = any ? o : nil
    }
}
