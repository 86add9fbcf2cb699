import Foundation
import ZooModels

/// Face identification: image bytes → every face (the `FaceVerifier` pipeline: detect, rotation fallback, align,
/// embed) → exact search of the `Gallery` → the best person if its similarity passes the open-set threshold for
/// the gallery's size, else "unknown". Also registration (the largest face of each image). The one code path
/// behind `vz gallery add`, `vz identify` and the HTTP gallery routes.
public final class FaceIdentifier: @unchecked Sendable {
    public let verifier: FaceVerifier
    public let recognizer: RecognizerID
    public let gallery: Gallery
    public var policy: OpenSetThreshold

    /// The name answered when nobody passes the threshold.
    public static let unknown = "unknown"

    public init(verifier: FaceVerifier, recognizer: RecognizerID, gallery: Gallery, policy: OpenSetThreshold = OpenSetThreshold()) {
        self.verifier = verifier; self.recognizer = recognizer; self.gallery = gallery; self.policy = policy
    }

    /// One identified face (JSON field names are the CLI and HTTP contract).
    public struct Face: Codable, Sendable, Equatable {
        public var box: [Float]
        public var score: Float
        /// Five [x, y] points (empty for aligned input).
        public var landmarks: [[Float]]
        /// Quarter turns counter-clockwise applied before detection (0 = upright).
        public var rotation: Int
        /// The best-matching person, or "unknown" when its similarity is not above `threshold` (or the gallery is empty).
        public var name: String
        /// The best person's cosine similarity (nil for an empty gallery).
        public var similarity: Float?
        /// The best-matching person (even when `name` is "unknown").
        public var best_match: String?
        /// The second-best person and similarity.
        public var runner_up: String?
        public var runner_up_similarity: Float?
        public var threshold: Float
        public var threshold_source: String
        public var gallery_size: Int
    }

    /// The `vz identify` object for one image.
    public struct Report: Codable, Sendable {
        public var image: String
        public var faces: [Face]
        public var threshold: Float
        public var threshold_source: String
        /// People in the gallery.
        public var gallery_size: Int
        /// Embeddings in the gallery (the N of the threshold).
        public var gallery_embeddings: Int
        public var recognizer: String
        public var recognizer_version: String
        public var detector: String
        public var timings_ms: [String: Double]

        /// One JSON line, keys sorted (the one serializer of this contract).
        public func jsonLine() throws -> String {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try enc.encode(self), as: UTF8.self)
        }
    }

    /// Why identification has no threshold.
    public struct NoThreshold: Error, CustomStringConvertible, LocalizedError {
        public var recognizer: RecognizerID
        public var description: String { "no impostor tail or calibrated threshold for \(recognizer): pass --threshold" }
        public var errorDescription: String? { description }
    }

    /// The threshold for the gallery as it is now.
    public func threshold(for s: GallerySnapshot) throws -> FaceThreshold {
        guard let t = policy.threshold(recognizer: recognizer, comparisons: s.rows) else { throw NoThreshold(recognizer: recognizer) }
        return t
    }

    /// Identifies every face of one image (an image without a face gives `faces: []`).
    public func identify(data: Data, name: String) throws -> Report {
        var clock = Stopwatch()
        let analyses = try verifier.analyzeAll(data: data, name: name)
        var timings: [String: Double] = [:]
        for a in analyses { for (k, v) in a.timings where !k.hasPrefix("cpu_") { timings[k, default: 0] += v } }
        _ = clock.lap()
        var faces: [Face] = []
        var snapshot = try gallery.snapshot()
        var t = try threshold(for: snapshot)
        for a in analyses {
            let (best, second, s) = try gallery.search(a.embedding, recognizer: recognizer)
            if s.revision != snapshot.revision { snapshot = s; t = try threshold(for: s) }
            let known = best.map { $0.similarity > t.value } ?? false
            faces.append(Face(box: a.face.box, score: a.face.score, landmarks: a.face.landmarks, rotation: a.face.rotation,
                              name: known ? best!.person : Self.unknown, similarity: best?.similarity, best_match: best?.person,
                              runner_up: second?.person, runner_up_similarity: second?.similarity,
                              threshold: t.value, threshold_source: t.source, gallery_size: snapshot.people.count))
        }
        timings["search"] = clock.lap()
        timings["total"] = timings.values.reduce(0, +)
        return Report(image: name, faces: faces, threshold: t.value, threshold_source: t.source,
                      gallery_size: snapshot.people.count, gallery_embeddings: snapshot.rows,
                      recognizer: recognizer.name, recognizer_version: recognizer.version,
                      detector: verifier.aligned ? "none (aligned input)" : verifier.detector?.name ?? "none",
                      timings_ms: timings.mapValues { ($0 * 1e6).rounded() / 1000 })
    }

    /// The face registered from one image: its largest face (as `vz verify` picks), embedded.
    public func registrationFace(data: Data, name: String) throws -> (face: GalleryFace, analysis: FaceVerifier.Analysis) {
        let a = try verifier.analyze(data: data, name: name)
        return (GalleryFace(embedding: a.embedding, sourceImage: name, box: verifier.aligned ? [] : a.face.box), a)
    }

    /// Registers the largest face of each image for `person` in one transaction.
    @discardableResult
    public func register(person: String, faces: [GalleryFace]) throws -> GalleryPerson {
        try gallery.add(person: person, faces: faces, recognizer: recognizer)
    }
}
