import Foundation
import ZooPipelines

/// `POST /v1/faces/verify` query parameters, named like the `vz verify` flags:
/// `detector`, `recognizer` (must name the loaded pipeline), `threshold`, `face-index`, `no-rotate`, `aligned`.
struct VerifyQuery: Equatable {
    var detector: String?
    var recognizer: String?
    /// Cosine threshold; nil: the recognizer's calibrated one.
    var threshold: Float?
    /// Use the N-th largest face (0 = largest); nil: the largest.
    var faceIndex: Int?
    /// Do not try other orientations when no upright face is found.
    var noRotate = false
    /// Inputs are already aligned crops (ArcFace 112×112 layout): skip detection.
    var aligned = false

    /// `threshold`: a cosine.
    static let thresholdRange: ClosedRange<Float> = -1...1
    /// `face-index`: at most as many faces as a detector returns (`DetectorLimits.maxDetections`).
    static let faceIndexRange: ClosedRange<Int> = 0...(DetectorLimits.maxDetections.upperBound - 1)

    static let known: Set<String> = ["detector", "recognizer", "threshold", "face-index", "no-rotate", "aligned"]

    init() {}

    /// `pairs`: the query's (name, value) pairs in order (a repeated name: the first wins).
    init(_ pairs: [(String, String)]) throws {
        var q: [String: String] = [:]
        for (k, v) in pairs where q[k] == nil { q[k] = v }
        for (k, _) in pairs where !Self.known.contains(k) {
            throw ServeError.badRequest("unknown query parameter '\(k)' (known: \(Self.known.sorted().joined(separator: ", ")))")
        }
        func flag(_ name: String) throws -> Bool {
            guard let s = q[name] else { return false }
            return try QueryValue.flag(s, name: name)
        }
        detector = q["detector"]
        recognizer = q["recognizer"]
        if let s = q["threshold"] {
            threshold = try QueryValue.number(s, name: "threshold", in: Self.thresholdRange, what: "a cosine")
        }
        if let s = q["face-index"] {
            guard let v = Int(s), Self.faceIndexRange.contains(v) else {
                throw ServeError.badRequest("face-index: '\(s)' is not an integer in \(Self.faceIndexRange.lowerBound)...\(Self.faceIndexRange.upperBound)")
            }
            faceIndex = v
        }
        noRotate = try flag("no-rotate")
        aligned = try flag("aligned")
    }
}
