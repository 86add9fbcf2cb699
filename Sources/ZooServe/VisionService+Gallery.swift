import Foundation
import ZooModels
import ZooPipelines

extension VisionService {
    /// The loaded face pipeline, or the 503 / 404 saying why not.
    func readyFacePool() throws -> FaceVerifierPool {
        guard isReady else {
            throw ServeError.notReady(loadFailure.map { "models failed to load: \($0)" } ?? "models are still loading or the server is shutting down")
        }
        guard let spec = configuration.faces else {
            throw ServeError.notFound("face routes are disabled on this server (--no-faces)")
        }
        guard let pool = facePool else {
            throw ServeError.notReady("face pipeline \(spec.detector)+\(spec.recognizer) is not loaded: \(faceFailure ?? "unknown cause")")
        }
        return pool
    }

    /// The opened gallery, or the 404 / 503 saying why not.
    func readyGallery() throws -> Gallery {
        guard configuration.gallery != nil else { throw ServeError.notFound("the face gallery is disabled on this server (--no-gallery)") }
        guard let g = gallery else { throw ServeError.notReady("the face gallery could not be opened: \(galleryFailure ?? "still loading")") }
        return g
    }

    /// Runs `work` with an exclusive pooled face pipeline under the admission gate, queue and timeout, after the
    /// cheap checks of every upload; `FaceVerifierError`s become 400 (unreadable) / 422 (no face) naming the field.
    private func withFacePipeline<T: Sendable>(_ uploads: [FaceUpload],
                                               _ work: @escaping @Sendable (FaceVerifier, FaceVerifierPool) throws -> T) async throws -> T {
        let pool = try readyFacePool()
        for u in uploads { try screen(u.data, field: u.label) }
        let deadline = ContinuousClock.now + .milliseconds(Int64(configuration.timeoutSeconds * 1000))
        let queued = ContinuousClock.now
        try await gate.acquire(deadline: deadline)
        metrics.observeStage(model: pool.name, stage: "queue", seconds: (ContinuousClock.now - queued).seconds)
        let gate = self.gate
        do {
            return try await BlockingRunner.run(deadline: deadline, {
                try pool.withVerifier { try work($0, pool) }
            }, onFinish: { gate.release() })
        } catch let e as FaceVerifierError {
            switch e {
            case .unreadable: throw ServeError.badRequest(e.description)
            case .noFace, .faceIndexOutOfRange: throw ServeError.unprocessable(e.description)
            }
        } catch {
            throw ServeError.from(error, field: uploads.map(\.label).joined(separator: " / "))
        }
    }

    /// Faces with landmarks and, with `embed`, each face's L2-normalised embedding and the recognizer's name and
    /// version: the `vz faces [--embed]` JSON object (`POST /v1/faces/embed`, DeepStack `POST /v1/vision/face`).
    func faces(_ u: FaceUpload, embed: Bool) async throws -> FaceFinder.Report {
        try await withFacePipeline([u]) { v, pool in
            guard let detector = v.detector else { throw ServeError.internalError("face pipeline without a detector") }
            var (report, image, dets) = try FaceFinder(detector: detector).find(data: u.data, name: u.name)
            if embed {
                try FaceFinder.embed(&report, image: image, detections: dets, embedder: v.embedder,
                                     recognizer: FaceModelFactory.recognizerID(pool.recognizerName))
            }
            return report
        }
    }

    /// A per-request identifier over the pooled models and the gallery.
    private func identifier(_ v: FaceVerifier, _ pool: FaceVerifierPool, _ gallery: Gallery, threshold: Float?) -> FaceIdentifier {
        FaceIdentifier(verifier: v, recognizer: FaceModelFactory.recognizerID(pool.recognizerName), gallery: gallery,
                       policy: OpenSetThreshold(fpir: configuration.galleryFPIR, user: threshold))
    }

    /// Every face of the image identified against the gallery (the `vz identify` object).
    func identify(_ u: FaceUpload, threshold: Float? = nil) async throws -> FaceIdentifier.Report {
        let gallery = try readyGallery()
        return try await withFacePipeline([u]) { v, pool in
            try self.identifier(v, pool, gallery, threshold: threshold).identify(data: u.data, name: u.name)
        }
    }

    /// Registers the largest face of each upload for `person` in one transaction (as `vz gallery add`).
    func register(person: String, _ uploads: [FaceUpload]) async throws -> GalleryPerson {
        let gallery = try readyGallery()
        let name: String
        do { name = try GalleryError.check(name: person) } catch { throw ServeError.from(error, field: "userid") }
        guard !uploads.isEmpty else { throw ServeError.badRequest("no image to register (multipart field 'image')") }
        return try await withFacePipeline(uploads) { v, pool in
            let id = self.identifier(v, pool, gallery, threshold: nil)
            let faces = try uploads.map { u in
                do { return try id.registrationFace(data: u.data, name: u.name).face } catch let e as FaceVerifierError {
                    throw Self.named(e, u)
                }
            }
            return try id.register(person: name, faces: faces)
        }
    }

    /// `e` with the upload's field in its message.
    private static func named(_ e: FaceVerifierError, _ u: FaceUpload) -> FaceVerifierError {
        switch e {
        case .unreadable(_, let r): return .unreadable(image: u.label, reason: r)
        case .noFace: return .noFace(image: u.label)
        case .faceIndexOutOfRange(_, let i, let c): return .faceIndexOutOfRange(image: u.label, index: i, count: c)
        }
    }

    /// The registered people. Store calls block (a PostgreSQL round trip, a SQLite read), so they run on a
    /// blocking thread under the request timeout, never on the server's executor.
    func galleryPeople() async throws -> [GalleryPerson] {
        let gallery = try readyGallery()
        return try await galleryCall { try gallery.people() }
    }

    /// Removes `person`; 404 when absent.
    func galleryRemove(_ person: String) async throws {
        let gallery = try readyGallery()
        try await galleryCall {
            guard try gallery.remove(person: person) else { throw GalleryError.unknownPerson(person) }
        }
    }

    private func galleryCall<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .milliseconds(Int64(configuration.timeoutSeconds * 1000))
        do { return try await BlockingRunner.run(deadline: deadline, work, onFinish: {}) } catch let e as ServeError {
            throw e
        } catch { throw ServeError.from(error, field: "gallery") }
    }
}
