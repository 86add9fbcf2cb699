import Foundation
import ZooPipelines

/// One uploaded image for face verification: its bytes, the form field it came in and the client's file name.
public struct FaceUpload: Sendable {
    public var data: Data
    /// `image1` / `image2` (the multipart field).
    public var field: String
    public var filename: String?

    public init(data: Data, field: String, filename: String?) {
        self.data = data; self.field = field; self.filename = filename
    }

    /// The name the pipeline reports (`faces[].image` in the JSON): the file name, else the field.
    var name: String { filename ?? field }

    /// Prefix for error messages: always names the field.
    var label: String { filename.map { "\(field) '\($0)'" } ?? field }
}

extension VisionService {
    /// Compares the faces in two encoded images with the `vz verify` pipeline (`FaceVerifier.verify`), bounded by
    /// the same admission gate, queue and timeout as detection.
    ///
    /// Errors: unreadable image → 400, no face / face index out of range → 422 (both name the field), face
    /// pipeline not loaded → 503 with the cause, disabled → 404.
    func verify(_ a: FaceUpload, _ b: FaceUpload, query: VerifyQuery = VerifyQuery()) async throws -> FaceVerification {
        guard isReady else {
            throw ServeError.notReady(loadFailure.map { "models failed to load: \($0)" } ?? "models are still loading or the server is shutting down")
        }
        guard let spec = configuration.faces else {
            throw ServeError.notFound("face verification is disabled on this server (--no-faces)")
        }
        guard let pool = facePool else {
            throw ServeError.notReady("face pipeline \(spec.detector)+\(spec.recognizer) is not loaded: \(faceFailure ?? "unknown cause")")
        }
        if let d = query.detector, d != pool.detectorName {
            throw ServeError.notFound("face detector '\(d)' is not loaded; this server runs \(pool.name) (vz serve --faces)")
        }
        if let r = query.recognizer, r != pool.recognizerName {
            throw ServeError.notFound("face recognizer '\(r)' is not loaded; this server runs \(pool.name) (vz serve --faces)")
        }
        try screen(a.data, field: a.label)
        try screen(b.data, field: b.label)
        let deadline = ContinuousClock.now + .milliseconds(Int64(configuration.timeoutSeconds * 1000))
        let queued = ContinuousClock.now
        try await gate.acquire(deadline: deadline)
        metrics.observeStage(model: pool.name, stage: "queue", seconds: (ContinuousClock.now - queued).seconds)
        let gate = self.gate
        let result: FaceVerification
        do {
            result = try await BlockingRunner.run(deadline: deadline, {
                try pool.withVerifier { shared in
                    // A per-request view of the pooled models with this request's options (cheap; no loading).
                    let v = FaceVerifier(detector: shared.detector, embedder: shared.embedder,
                                         threshold: query.threshold.map { .user($0) } ?? shared.threshold,
                                         aligned: query.aligned, faceIndex: query.faceIndex)
                    v.tryRotations = !query.noRotate
                    let x = try Self.analyze(v, a), y = try Self.analyze(v, b)
                    return v.decide(x, y)
                }
            }, onFinish: { gate.release() })
        } catch {
            throw ServeError.from(error, field: "\(a.label) / \(b.label)")
        }
        for (stage, ms) in result.timings_ms where stage != "total" {
            metrics.observeStage(model: pool.name, stage: stage, seconds: ms / 1000)
        }
        return result
    }

    /// One image through the pipeline, its `FaceVerifierError`s mapped to HTTP errors naming the field.
    static func analyze(_ v: FaceVerifier, _ u: FaceUpload) throws -> FaceVerifier.Analysis {
        do { return try v.analyze(data: u.data, name: u.name) } catch let e as FaceVerifierError {
            let message = u.filename == nil ? e.description : "\(u.field): \(e.description)"
            switch e {
            case .unreadable: throw ServeError.badRequest(message)
            case .noFace, .faceIndexOutOfRange: throw ServeError.unprocessable(message)
            }
        }
    }
}
