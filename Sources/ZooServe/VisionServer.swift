import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals
import ZooPipelines
import ZooTensor

/// The HTTP front of `VisionService` on Hummingbird 2: routes, limits, JSON errors, graceful shutdown.
///
/// Routes: `GET /`, `/healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/v1/models`;
/// `POST /v1/detect`, `/v1/vision/detection` (DeepStack / CodeProject.AI), `/v1/faces/verify` (the `vz verify`
/// JSON), `/v1/vision/face/match` (DeepStack / CodeProject.AI); `/v1/faces/embed`, `GET /v1/gallery`,
/// `/v1/gallery/add|remove|identify` and DeepStack's `/v1/vision/face`, `/face/register|recognize|list|delete`
/// (`VisionServer+Gallery.swift`).
public final class VisionServer: Sendable {
    public let service: VisionService

    public init(service: VisionService) { self.service = service }

    /// Builds the router (exposed for tests and embedding).
    ///
    /// The OpenAPI document is the route table: every operation it lists is registered here with the handler of
    /// the same `METHOD /path` key, and a handler without an operation (or an operation without a handler) stops
    /// the server from starting (`ServeRouteTests` checks both directions), so the document cannot drift from the
    /// routes served. `ServeMiddleware.methods` (405 + Allow) is derived from the same document.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ServeMiddleware(metrics: service.metrics, apiKey: service.configuration.apiKey.map(APIKey.init(key:)),
                                              accessLog: service.configuration.accessLog))
        let service = self.service
        var handlers: [String: @Sendable (Request, BasicRequestContext) async throws -> Response] = [
            "GET /": { _, _ in
                Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
            },
            "GET /healthz": { _, _ in
                HTTPJSON.response(["status": "ok"])
            },
            "GET /readyz": { _, _ -> Response in
                if service.isReady { return HTTPJSON.response(["ready": true]) }
                let why = service.loadFailure.map { "models failed to load: \($0)" } ?? "not ready: models loading or server shutting down"
                var r = HTTPJSON.response(["ready": false, "error": why], status: .serviceUnavailable)
                r.headers[.retryAfter] = "2"
                return r
            },
            "GET /metrics": { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: service.metrics.render())))
            },
            "GET /openapi.json": { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
            },
            "GET /v1/models": { _, _ in
                HTTPJSON.response(service.modelsJSON)
            },
            "POST /v1/detect": { request, _ -> Response in
                // The query (ranges, model, size multiple) is checked before the body is read: a bad request costs nothing.
                let parsed = try DetectQuery(request.uri.queryParameters.map { (String($0.key), String($0.value)) })
                try service.preflight(parsed)
                let upload = try await ImageUpload.read(request, field: "image", limit: service.configuration.maxBodyBytes)
                let result = try await service.detect(upload.data, name: upload.filename, model: parsed.model, options: parsed.options)
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: result.jsonLine)))
            },
            "POST /v1/vision/detection": { request, _ -> Response in
                let start = ContinuousClock.now
                let form = try await ImageUpload.form(request, limit: service.configuration.maxBodyBytes)
                guard let image = form.part("image") else {
                    throw ServeError.badRequest("multipart field 'image' is missing")
                }
                let confidence = try DeepStack.minConfidence(form.text("min_confidence"))
                let result = try await service.detect(image.data, name: image.filename ?? "upload", model: nil,
                                                      options: DetectorOptions(confidence: confidence))
                return HTTPJSON.response(DeepStack.detection(result, processMs: (ContinuousClock.now - start).seconds * 1000))
            },
            "POST /v1/faces/verify": { request, _ -> Response in
                let query = try VerifyQuery(request.uri.queryParameters.map { (String($0.key), String($0.value)) })
                let form = try await ImageUpload.form(request, limit: service.configuration.maxBodyBytes)
                let (a, b) = try Self.imagePair(form)
                let result = try await service.verify(a, b, query: query)
                let line: String
                do { line = try result.jsonLine() } catch { throw ServeError.internalError("cannot encode the result: \(error)") }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: line)))
            },
            "POST /v1/vision/face/match": { request, _ -> Response in
                let start = ContinuousClock.now
                let form = try await ImageUpload.form(request, limit: service.configuration.maxBodyBytes)
                let (a, b) = try Self.imagePair(form)
                let result = try await service.verify(a, b)
                return HTTPJSON.response(DeepStack.faceMatch(result, processMs: (ContinuousClock.now - start).seconds * 1000))
            },
        ]
        handlers.merge(Self.galleryHandlers(service)) { a, _ in a }
        for op in OpenAPIDocument.operations {
            guard let handler = handlers[op.key] else { preconditionFailure("openapi.json lists \(op.key) but no handler serves it") }
            router.on(RouterPath(op.path), method: HTTPRequest.Method(rawValue: op.method)!, use: handler)
        }
        let undocumented = Set(handlers.keys).subtracting(OpenAPIDocument.operations.map(\.key))
        precondition(undocumented.isEmpty, "handlers missing from openapi.json: \(undocumented.sorted())")
        return router
    }

    /// The two images of a face comparison: multipart fields `image1` and `image2` (or `a` and `b`).
    static func imagePair(_ form: MultipartForm) throws -> (FaceUpload, FaceUpload) {
        var found: [FaceUpload] = []
        for (primary, alias) in [("image1", "a"), ("image2", "b")] {
            guard let p = form.part(primary) ?? form.part(alias) else {
                let got = form.parts.map { "'\($0.name)'" }.joined(separator: ", ")
                throw ServeError.badRequest("multipart field '\(primary)' is missing (two images are needed: 'image1' and 'image2'; got \(got.isEmpty ? "no fields" : got))")
            }
            found.append(FaceUpload(data: p.data, field: p.name, filename: p.filename))
        }
        return (found[0], found[1])
    }

    /// A running server (from `start`).
    public struct Running: Sendable {
        public let port: Int
        let group: ServiceGroup
        let task: Task<Void, Error>
        /// Begins graceful shutdown (as SIGTERM does) and waits for the server to stop.
        public func shutdown() async throws {
            await group.triggerGracefulShutdown()
            try await task.value
        }
        /// Waits until the server stops (after a signal or `shutdown()`).
        public func wait() async throws { try await task.value }
    }

    /// Starts serving and loading models in the background; returns once the port is bound.
    /// `handleSignals`: SIGTERM and SIGINT trigger graceful shutdown (`vz serve`; tests call `shutdown()`).
    public func start(handleSignals: Bool = false, logger: Logger? = nil) async throws -> Running {
        let signals: [UnixSignal] = handleSignals ? [.sigterm, .sigint] : []
        let cfg = service.configuration
        var logger = logger ?? Logger(label: "vz.serve")
        if logger.logLevel > .info, ProcessInfo.processInfo.environment["LOG_LEVEL"] == nil { logger.logLevel = .info }
        let bound = PortBox()
        let bodySeconds = cfg.bodyTimeoutSeconds, headSeconds = cfg.headerTimeoutSeconds
        let app = Application(router: makeRouter(),
                              server: .http1(configuration: .init(
                                  additionalChannelHandlers: [BodyDeadlineHandler(seconds: bodySeconds, headSeconds: headSeconds)],
                                  idleTimeout: .seconds(60))),
                              configuration: .init(address: .hostname(cfg.host, port: cfg.port), serverName: "vz/\(VisionZooVersion.string)"),
                              onServerRunning: { channel in bound.set(channel.localAddress?.port ?? -1) },
                              logger: logger)
        let readiness = DrainOnShutdown(service: service)
        // Shutdown runs in reverse order: readiness flips first, then the server stops accepting connections
        // and drains in-flight requests (at most `shutdownGraceSeconds`).
        var groupConfig = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: readiness, successTerminationBehavior: .ignore)],
            gracefulShutdownSignals: signals,
            logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .milliseconds(Int64(cfg.shutdownGraceSeconds * 1000))
        let group = ServiceGroup(configuration: groupConfig)
        let task = Task { try await group.run() }
        let service = self.service
        // Loading blocks for seconds: on a thread of its own, not on the Swift-concurrency pool the handlers use.
        let loadLogger = logger
        let loader = Thread {
            do {
                try service.loadModels()
                loadLogger.info("models loaded: \(cfg.models.joined(separator: ", "))")
                if let why = service.faceFailure {
                    loadLogger.warning("face pipeline not loaded (face routes answer 503; detection serves): \(why)")
                } else if let f = cfg.faces {
                    loadLogger.info("face pipeline loaded: \(f.detector)+\(f.recognizer)")
                }
            } catch {
                loadLogger.error("loading models failed: \(error)")
            }
        }
        loader.name = "vz.serve.load"
        loader.stackSize = BlockingRunner.stackSize
        loader.start()
        let port = try await bound.wait(task: task)
        return Running(port: port, group: group, task: task)
    }
}

/// Marks the service as draining (readiness false, new inference refused) as soon as shutdown begins; the
/// server itself stops accepting connections and lets in-flight requests finish.
struct DrainOnShutdown: Service {
    let service: VisionService
    func run() async throws {
        try? await gracefulShutdown()
        service.beginDraining()
    }
}

/// The bound port, handed from `onServerRunning` to `start`.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ p: Int) { lock.lock(); port = p; lock.unlock() }
    func get() -> Int? { lock.lock(); defer { lock.unlock() }; return port }
    /// Polls until the port is known or the server task ended (bind failure).
    func wait(task: Task<Void, Error>) async throws -> Int {
        for _ in 0..<3000 {
            if let p = get() {
                guard p > 0 else { throw ServeError.internalError("server bound to an unknown port") }
                return p
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        _ = try await task.value
        throw ServeError.internalError("server did not start within 15 s")
    }
}
