import ArgumentParser
import Foundation
import ZooModels
import ZooPipelines
import ZooServe
import ZooTensor

/// `vz serve`: the detection and face-verification pipelines over HTTP (DeepStack/CodeProject.AI-compatible and
/// native JSON routes).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the detection and face-verification pipelines over HTTP (see docs/serving.md).",
        discussion: """
        Routes: GET / (web page), /healthz, /readyz, /metrics, /openapi.json,
        /v1/models; POST /v1/detect (same JSON as `vz detect`), /v1/vision/detection
        (DeepStack), /v1/faces/verify (same JSON as `vz verify`),
        /v1/vision/face/match (DeepStack), /v1/faces/embed (as `vz faces --embed`);
        GET /v1/gallery, POST /v1/gallery/add|remove|identify (as `vz gallery` /
        `vz identify`); DeepStack's /v1/vision/face and
        /v1/vision/face/register|recognize|list|delete. Models load once at start;
        /readyz turns 200 when they are loaded. Missing face weights (`vz weights
        pull mtcnn dlib-resnet`) do not stop detection: the face routes answer 503
        naming the cause. SIGTERM/SIGINT: stop accepting connections, finish
        in-flight requests, exit 0.

        EXAMPLES
          vz serve
          vz serve --port 5000 --models yolov3-tiny,yolox-nano --api-key "$VZ_API_KEY"
          vz serve --host 0.0.0.0 --concurrency 2 --queue 16 --no-faces
          curl -F image=@dog.jpg http://127.0.0.1:8080/v1/vision/detection

        EXIT CODES
          0   stopped by SIGTERM/SIGINT after finishing in-flight requests
          2   could not start: missing weights, the address cannot be bound
          64  invalid command line
        """)

    @Option(help: "Address to bind (loopback by default).")
    var host = "127.0.0.1"
    @Option(help: "TCP port (0: any free port; range \(L.text(L.port))).")
    var port = 8080
    @Option(help: "Comma-separated detection models to load; the first is the default.")
    var models = "yolov3-tiny"
    @Option(help: "Face pipeline for /v1/faces/verify and /v1/vision/face/match: 'detector,recognizer' (detectors: \(FaceModelFactory.detectorNames.joined(separator: ", ")); recognizers with a calibrated threshold: \(FaceThresholds.measured.keys.sorted().joined(separator: ", "))).")
    var faces = "\(FaceModelFactory.defaultDetector),\(FaceModelFactory.defaultRecognizer)"
    @Flag(help: "Do not load a face pipeline (the face routes answer 404).")
    var noFaces = false
    @Option(help: "Face gallery for /v1/gallery/... and DeepStack's face register/recognize/list/delete: a SQLite file (shared safely with `vz gallery` on this machine) or postgres://USER@HOST/DB (shared by replicas on any machine); default: VZ_GALLERY, else weights/gallery/faces.sqlite.")
    var gallery: String?
    @Flag(help: "Do not open a gallery (the gallery routes answer 404).")
    var noGallery = false
    @Option(help: "Target open-set false positive identification rate of the gallery routes, in (0, 1).")
    var fpir: Double = OpenSetThreshold.defaultFPIR
    @OptionGroup var precisionOption: PrecisionOption

    @Option(help: "Threads per inference (default: VZ_THREADS or all cores; range \(L.text(L.threads))).")
    var threads: Int?
    @Option(name: .customLong("max-body-mb"), help: "Largest request body in MiB (413 beyond; range \(L.text(L.maxBodyMB))).")
    var maxBodyMB: Double = 20
    @Option(name: .customLong("max-pixels"), help: "Largest image in pixels, width × height (422 beyond; range \(L.text(L.maxPixels))).")
    var maxPixels = 40_000_000
    @Option(help: "Inferences running at once (each model is loaded this many times; range \(L.text(L.concurrency))).")
    var concurrency = 1
    @Option(help: "Requests that may wait for an inference slot (503 + Retry-After beyond; range \(L.text(L.queue))).")
    var queue = 16
    @Option(name: .customLong("timeout-s"), help: "Per-request limit in seconds, queue wait included (504 beyond; range \(L.text(L.timeoutSeconds))).")
    var timeoutS: Double = 30
    @Option(name: .customLong("body-timeout-s"), help: "Limit in seconds for receiving a whole request body (408 and the connection closed beyond; range \(L.text(L.bodyTimeoutSeconds))).")
    var bodyTimeoutS: Double = 30
    @Option(name: .customLong("header-timeout-s"), help: "Limit in seconds for receiving a whole request head, from the connection's opening or the previous response (the connection is closed beyond: slow-header clients and idle keep-alive connections; range \(L.text(L.headerTimeoutSeconds))).")
    var headerTimeoutS: Double = 30
    @Option(name: .customLong("api-key"), help: "Require this key on every /v1 route (X-API-Key header, Authorization: Bearer, api_key query parameter or DeepStack's api_key form field; 401 otherwise). Default: VZ_API_KEY if set; probes, /metrics and the web page stay open.")
    var apiKey: String?
    @Flag(inversion: .prefixedNo, help: "Log every request as one JSON line on standard error (method, path without the query, status, duration_ms, bytes_in, user_agent).")
    var accessLog = true

    private typealias L = ServeLimits

    func validate() throws {
        func check<T: Comparable>(_ name: String, _ value: T, _ range: ClosedRange<T>) throws {
            guard range.contains(value) else { throw ValidationError("--\(name) \(value) is out of range \(L.text(range))") }
        }
        try check("port", port, L.port)
        try check("max-body-mb", maxBodyMB, L.maxBodyMB)
        try check("max-pixels", maxPixels, L.maxPixels)
        try check("concurrency", concurrency, L.concurrency)
        try check("queue", queue, L.queue)
        try check("timeout-s", timeoutS, L.timeoutSeconds)
        try check("body-timeout-s", bodyTimeoutS, L.bodyTimeoutSeconds)
        try check("header-timeout-s", headerTimeoutS, L.headerTimeoutSeconds)
        if let threads { try check("threads", threads, L.threads) }
        guard fpir > 0 && fpir < 1 else { throw ValidationError("--fpir must be in (0, 1), got \(fpir)") }
        guard !modelList.isEmpty else { throw ValidationError("--models names no model") }
        if !noFaces {
            guard let f = facePair else { throw ValidationError("--faces wants 'detector,recognizer', e.g. mtcnn,sface") }
            guard FaceModelFactory.detectorNames.contains(f.detector) else {
                throw ValidationError("--faces: unknown face detector '\(f.detector)' (available: \(FaceModelFactory.detectorNames.joined(separator: ", ")))")
            }
            guard FaceThresholds.calibrated(f.recognizer) != nil else {
                throw ValidationError("--faces: '\(f.recognizer)' is not a recognizer with a calibrated threshold (\(FaceThresholds.measured.keys.sorted().joined(separator: ", ")))")
            }
        }
    }

    var modelList: [String] { models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    /// `--faces` split at ',' or '+'.
    var facePair: (detector: String, recognizer: String)? {
        let f = faces.split(whereSeparator: { $0 == "," || $0 == "+" }).map { $0.trimmingCharacters(in: .whitespaces) }
        return f.count == 2 && !f[0].isEmpty && !f[1].isEmpty ? (f[0], f[1]) : nil
    }

    func run() async throws {
        MemoryRelease.mapLargeAllocations()   // one oversized request must not leave its memory behind
        if let threads { Threads.set(threads) }
        precisionOption.apply()
        var cfg = ServeConfiguration()
        cfg.host = host; cfg.port = port; cfg.models = modelList
        cfg.maxBodyBytes = Int(maxBodyMB * 1024 * 1024); cfg.maxPixels = maxPixels
        cfg.concurrency = concurrency; cfg.queue = queue; cfg.timeoutSeconds = timeoutS
        cfg.bodyTimeoutSeconds = bodyTimeoutS; cfg.headerTimeoutSeconds = headerTimeoutS
        cfg.apiKey = apiKey ?? ProcessInfo.processInfo.environment["VZ_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        cfg.faces = noFaces ? nil : facePair
        cfg.gallery = noGallery || noFaces ? nil : (gallery ?? Gallery.defaultLocation())
        cfg.galleryFPIR = fpir
        cfg.accessLog = accessLog ? .standardError() : nil
        // Fail fast (exit 2) on unknown models or missing weights, before binding the port.
        for m in cfg.models {
            do { _ = try cfg.store.require(try ModelZoo.entry(named: m).card) } catch {
                Stderr.print("vz serve: \(CLIExit.describe(error))")
                throw CLIExit.failed
            }
        }
        let server = VisionServer(service: VisionService(configuration: cfg))
        let running: VisionServer.Running
        do { running = try await server.start(handleSignals: true) } catch {
            Stderr.print("vz serve: cannot listen on \(host):\(port): \(CLIExit.describe(error))")
            throw CLIExit.failed
        }
        Stderr.print("vz serve: listening on http://\(host):\(running.port) (models: \(cfg.models.joined(separator: ", ")); faces: \(cfg.faces.map { "\($0.detector)+\($0.recognizer)" } ?? "off"); concurrency \(concurrency), queue \(queue), threads \(Threads.count))")
        try await running.wait()
        Stderr.print("vz serve: stopped")
    }
}
