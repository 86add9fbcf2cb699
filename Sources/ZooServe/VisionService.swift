import Foundation
import ZooImage
import ZooModels
import ZooPipelines

/// The HTTP-independent core of `vz serve`: loaded models, the admission gate, limits and metrics.
///
/// Every detection goes through `detect(_:name:model:options:)`, which calls the same `Detector` pipeline as
/// `vz detect` (decode → preprocess → model → NMS → `DetectorResult`).
public final class VisionService: @unchecked Sendable {
    public let configuration: ServeConfiguration
    public let metrics = ServiceMetrics()
    public let gate: AdmissionGate
    private let lock = NSLock()
    private var pools: [String: DetectorPool] = [:]
    private var loaded = false
    private var draining = false
    private var loadError: String?
    private var faces: FaceVerifierPool?
    private var faceError: String?
    private var openedGallery: Gallery?
    private var galleryError: String?

    public init(configuration: ServeConfiguration) {
        self.configuration = configuration
        gate = AdmissionGate(concurrency: max(1, configuration.concurrency), queueLimit: max(0, configuration.queue))
        metrics.gateState = { [gate] in gate.state }
        metrics.readiness = { [weak self] in self?.isReady ?? false }
    }

    /// True once every model is loaded, until shutdown begins.
    public var isReady: Bool { lock.lock(); defer { lock.unlock() }; return loaded && !draining }

    /// Why loading failed, if it did.
    public var loadFailure: String? { lock.lock(); defer { lock.unlock() }; return loadError }

    /// The loaded face pipeline, if any.
    var facePool: FaceVerifierPool? { lock.lock(); defer { lock.unlock() }; return faces }

    /// The opened gallery, if configured and opened.
    var gallery: Gallery? { lock.lock(); defer { lock.unlock() }; return openedGallery }

    /// Why the gallery could not be opened, if it could not.
    public var galleryFailure: String? { lock.lock(); defer { lock.unlock() }; return galleryError }

    /// Why the face pipeline failed to load, if it did (detection serves regardless).
    public var faceFailure: String? { lock.lock(); defer { lock.unlock() }; return faceError }

    /// The loaded instances of detection model `name`, if loaded.
    func pool(named name: String) -> DetectorPool? { lock.withLock { pools[name] } }

    /// The default (first) model's name.
    public var defaultModel: String { configuration.models.first ?? ModelZoo.defaultDetector }

    /// Loads every configured model `concurrency` times (blocking; call off the event loops).
    public func loadModels() throws {
        do {
            for name in configuration.models {
                let t0 = ContinuousClock.now
                let pool = try DetectorPool(name: name, count: gate.concurrency, store: configuration.store,
                                            maxPixels: configuration.maxPixels)
                metrics.modelLoaded(name, seconds: (ContinuousClock.now - t0).seconds)
                lock.lock(); pools[name] = pool; lock.unlock()
            }
            loadFaces()
            openGallery()
            lock.lock(); loaded = true; lock.unlock()
        } catch {
            lock.lock(); loadError = "\(error)"; lock.unlock()
            throw error
        }
    }

    /// Loads the face pipeline `concurrency` times; a failure is recorded (face routes → 503), not thrown.
    private func loadFaces() {
        guard let f = configuration.faces else { return }
        let t0 = ContinuousClock.now
        do {
            let pool = try FaceVerifierPool(detector: f.detector, recognizer: f.recognizer, count: gate.concurrency,
                                            store: configuration.store)
            metrics.modelLoaded(pool.name, seconds: (ContinuousClock.now - t0).seconds)
            lock.lock(); faces = pool; lock.unlock()
        } catch {
            lock.lock(); faceError = "\(error)"; lock.unlock()
        }
    }

    /// Opens the configured gallery; a failure is recorded (gallery routes → 503), not thrown.
    private func openGallery() {
        guard let location = configuration.gallery else { return }
        do {
            let g = try Gallery.open(location)
            _ = try g.snapshot()   // load the matrix now, not on the first request
            lock.lock(); openedGallery = g; lock.unlock()
        } catch {
            lock.lock(); galleryError = "\(error)"; lock.unlock()
        }
    }

    /// Marks the service as shutting down: readiness turns false, new inference is refused.
    public func beginDraining() { lock.lock(); draining = true; lock.unlock() }

    /// Summary of loaded models for `GET /v1/models`.
    public var modelsJSON: [String: Any] {
        lock.lock(); let pools = self.pools; lock.unlock()
        let list: [[String: Any]] = configuration.models.map { name in
            var m: [String: Any] = ["name": name, "task": "detection", "loaded": pools[name] != nil,
                                    "instances": gate.concurrency, "default": name == defaultModel]
            if let p = pools[name] { m["classes"] = p.classNames; m["input_size"] = p.inputSize }
            if let card = try? ModelZoo.entry(named: name).card { m["weights"] = card.source.summary }
            return m
        }
        var all = list
        if let f = configuration.faces {
            let pool = facePool
            var m: [String: Any] = ["name": "\(f.detector)+\(f.recognizer)", "task": "face-verification",
                                    "detector": f.detector, "recognizer": f.recognizer,
                                    "loaded": pool != nil, "instances": gate.concurrency, "default": false]
            if let e = faceFailure { m["error"] = e }
            if let t = FaceThresholds.calibrated(f.recognizer) {
                m["threshold"] = JSONPrecision.threshold(t.value) as Double; m["threshold_source"] = t.source
            }
            if let pool { m["input_size"] = [pool.chipSize.width, pool.chipSize.height] }
            all.append(m)
        }
        return ["models": all, "ready": isReady]
    }

    /// Checks `data` looks like a JPEG/PNG/WebP/BMP within the pixel limit without decoding it (cheap; before queueing).
    public func screen(_ data: Data, field: String) throws {
        guard !data.isEmpty else { throw ServeError.badRequest("\(field): empty body (expected a JPEG, PNG, WebP or BMP image)") }
        do {
            let size = try ImageDecoder.size(of: data, name: field)
            if size.width * size.height > configuration.maxPixels {
                throw ServeError.unprocessable("\(field): image is \(size.width)x\(size.height) = \(size.width * size.height) pixels, over the limit of \(configuration.maxPixels) (--max-pixels)")
            }
        } catch {
            throw ServeError.from(error, field: field)
        }
    }

    /// Runs the detection pipeline on encoded image bytes, bounded by the gate and the timeout.
    /// `options` nil: the model's defaults (as `vz detect` without flags).
    public func detect(_ data: Data, name: String?, model: String?, options: DetectorOptions?) async throws -> DetectorResult {
        let modelName = model ?? defaultModel
        guard isReady else {
            throw ServeError.notReady(loadFailure.map { "models failed to load: \($0)" }
                                      ?? (draining ? "server is shutting down" : "models are still loading"))
        }
        let pool = lock.withLock { pools[modelName] }
        guard let pool else {
            throw ServeError.notFound("unknown model '\(modelName)'; loaded: \(configuration.models.joined(separator: ", "))")
        }
        let label = name.map { "upload '\($0)'" } ?? "request body"
        try screen(data, field: label)
        let deadline = ContinuousClock.now + .milliseconds(Int64(configuration.timeoutSeconds * 1000))
        let queued = ContinuousClock.now
        try await gate.acquire(deadline: deadline)
        metrics.observeStage(model: modelName, stage: "queue", seconds: (ContinuousClock.now - queued).seconds)
        let gate = self.gate
        let result: DetectorResult
        do {
            result = try await BlockingRunner.run(deadline: deadline, {
                try pool.withDetector { shared in
                    var d = shared
                    if let options, options != shared.options {
                        d = try Detector(model: shared.model, options: options)
                        d.decodeOptions = shared.decodeOptions
                    }
                    // A one-off size must not keep its buffers (1.5 GB at 2048 for yolov3-tiny) after the request.
                    defer { if d !== shared { d.releaseTransientBuffers() } }
                    return try d.detect(data: data, name: label)
                }
            }, onFinish: { gate.release() })
        } catch {
            throw ServeError.from(error, field: label)   // decode errors → 400/422, bad options → 400
        }
        for (stage, ms) in [("decode", result.timings.decode), ("preprocess", result.timings.preprocess),
                            ("inference", result.timings.inference), ("postprocess", result.timings.postprocess)] {
            metrics.observeStage(model: modelName, stage: stage, seconds: ms / 1000)
        }
        var r = result
        r.image = name
        return r
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
