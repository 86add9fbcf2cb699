import Foundation
import Hummingbird
import ZooModels
import ZooPipelines

/// `POST /v1/detect` query parameters, named like the `vz detect` flags:
/// `model`, `conf`, `iou`, `size`, `classes` (comma-separated), `max-det`, `agnostic`, `no-letterbox`, `multi-label`.
struct DetectQuery {
    var model: String?
    /// nil when no option is given (the model's defaults, as `vz detect` without flags).
    var options: DetectorOptions?

    static let known: Set<String> = ["model", "conf", "iou", "size", "classes", "max-det", "agnostic", "no-letterbox", "multi-label"]

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
            let v = try QueryValue.number(s, name: name, in: range)
            any = true
            return v
        }
        func integer(_ name: String, in range: ClosedRange<Int>, _ what: String = "") throws -> Int? {
            guard let s = q[name] else { return nil }
            let v = try QueryValue.integer(s, name: name, in: range, what: what)
            any = true
            return v
        }
        func flag(_ name: String) throws -> Bool {
            guard let s = q[name] else { return false }
            let v = try QueryValue.flag(s, name: name)
            if v { any = true }
            return v
        }
        if let v = try number("conf", in: DetectorLimits.threshold) { o.confidence = v }
        if let v = try number("iou", in: DetectorLimits.threshold) { o.iou = v }
        // The model's multiple is checked by `check(sizeMultiple:model:)` once the model is known.
        if let v = try integer("size", in: DetectorLimits.size, " (a multiple of the model's stride, 32 for YOLOs)") { o.size = v }
        if let v = try integer("max-det", in: DetectorLimits.maxDetections) { o.maxDetections = v }
        if let s = q["classes"] {
            o.classes = s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            any = true
        }
        o.agnostic = try flag("agnostic")
        o.multiLabel = try flag("multi-label")
        if try flag("no-letterbox") { o.resize = .stretch }
        model = q["model"]
        options = any ? o : nil
    }

    /// Checks what depends on the model: `size` must be a multiple of its `sizeMultiple`. Called by the route
    /// before the body is read, so a bad size costs nothing (no queueing, no allocation).
    func check(sizeMultiple: Int, model name: String) throws {
        if let size = options?.size, size % max(1, sizeMultiple) != 0 {
            throw ServeError.badRequest("size: \(size) is not a multiple of \(sizeMultiple) (the stride of \(name)); range \(DetectorLimits.size.lowerBound)...\(DetectorLimits.size.upperBound)")
        }
    }
}

extension VisionService {
    /// The checks of a detection request that need no body: the model is a loaded one (404), `size` is a multiple
    /// of its stride (400). The routes call it before reading the body, so a bad request is answered at once.
    func preflight(_ query: DetectQuery) throws {
        let name = query.model ?? defaultModel
        guard configuration.models.contains(name) else {
            throw ServeError.notFound("unknown model '\(name)'; loaded: \(configuration.models.joined(separator: ", "))")
        }
        if let multiple = (try? ModelZoo.entry(named: name))?.card.input.sizeMultiple {
            try query.check(sizeMultiple: multiple, model: name)
        }
    }
}
