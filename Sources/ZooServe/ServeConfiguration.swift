import Foundation
import ZooPipelines

/// Settings of `vz serve` (one field per command-line option).
public struct ServeConfiguration: Sendable {
    /// Bind address; loopback by default.
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one (tests).
    public var port = 8080
    /// Detection models to load at start (zoo names); the first is the default.
    public var models: [String] = ["yolov3-tiny"]
    /// Largest accepted request body in bytes (`--max-body-mb` × 2^20).
    public var maxBodyBytes = 20 << 20
    /// Largest accepted image in pixels (width × height, from the header, before decoding).
    public var maxPixels = 40_000_000
    /// Inference slots: requests running a model at once (each model is loaded this many times).
    public var concurrency = 1
    /// Requests that may wait for a slot; more are refused with 503.
    public var queue = 16
    /// Per-request limit (queue wait + inference), in seconds.
    public var timeoutSeconds = 30.0
    /// Whole-request-body limit in seconds, from the end of the request head to the last body byte (408 and the
    /// connection closed beyond): a body trickled byte by byte must not hold a connection open indefinitely (each
    /// byte would reset the idle timer).
    public var bodyTimeoutSeconds = 30.0
    /// Request-head limit in seconds, from the connection's opening (or the previous response on a keep-alive
    /// connection) to a whole request head; the connection is closed beyond (a head trickled byte by byte, or an
    /// idle keep-alive connection).
    public var headerTimeoutSeconds = 30.0
    /// `--api-key` / `VZ_API_KEY`: when set, the `/v1/…` routes answer 401 without it (see `APIKey`).
    public var apiKey: String? = nil
    /// Where each request is logged (one JSON line per request; `AccessLog.standardError()` in the CLI unless
    /// `--no-access-log`); nil logs nothing.
    public var accessLog: AccessLog? = nil
    /// Graceful-shutdown drain limit in seconds: in-flight requests get this long to finish after SIGTERM.
    public var shutdownGraceSeconds = 30.0
    /// Face verification pipeline for `/v1/faces/verify` and `/v1/vision/face/match` (`vz verify`'s defaults);
    /// nil disables the face routes. If it fails to load (e.g. weights missing), detection still serves and the
    /// face routes answer 503 naming the cause.
    public var faces: (detector: String, recognizer: String)? = (FaceModelFactory.defaultDetector, FaceModelFactory.defaultRecognizer)
    /// The face gallery (`vz serve --gallery`, a SQLite file) behind `/v1/gallery/…` and DeepStack's face
    /// register/recognize/list/delete routes; nil: those routes answer 404. Opened when the models load.
    public var gallery: String? = nil
    /// Target open-set false positive identification rate of the gallery's identification threshold.
    public var galleryFPIR = OpenSetThreshold.defaultFPIR
    /// Weights location.
    public var store: WeightsStore = .standard()

    public init() {}
}

/// The documented ranges of the numeric `vz serve` options (`vz serve --help` states them; `Serve.validate()`
/// checks them before anything is loaded or bound).
public enum ServeLimits {
    public static let port: ClosedRange<Int> = 0...65535
    /// `--max-body-mb` (MiB): a body is held in memory whole, with its multipart parts copied once more.
    public static let maxBodyMB: ClosedRange<Double> = 0.001...1024
    /// `--max-pixels`: at most the image decoder's own default limit (`DecodeOptions.maxPixels`, 100 Mpx).
    public static let maxPixels: ClosedRange<Int> = 1...100_000_000
    /// `--concurrency`: each slot loads every model once more.
    public static let concurrency: ClosedRange<Int> = 1...64
    /// `--queue`.
    public static let queue: ClosedRange<Int> = 0...10_000
    /// `--timeout-s`.
    public static let timeoutSeconds: ClosedRange<Double> = 0.001...3600
    /// `--body-timeout-s`.
    public static let bodyTimeoutSeconds: ClosedRange<Double> = 0.1...3600
    /// `--header-timeout-s`.
    public static let headerTimeoutSeconds: ClosedRange<Double> = 0.1...3600
    /// `--threads`.
    public static let threads: ClosedRange<Int> = 1...256

    /// `"1...64"`, `"0.001...1024"`: a range as `--help` and the errors print it.
    public static func text<T: Comparable>(_ r: ClosedRange<T>) -> String { "\(r.lowerBound)...\(r.upperBound)" }
}
