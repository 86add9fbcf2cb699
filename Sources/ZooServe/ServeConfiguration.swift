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
    /// Graceful-shutdown drain limit in seconds: in-flight requests get this long to finish after SIGTERM.
    public var shutdownGraceSeconds = 30.0
    /// Face verification pipeline for `/v1/faces/verify` and `/v1/vision/face/match` (`vz verify`'s defaults);
    /// nil disables the face routes. If it fails to load (e.g. weights missing), detection still serves and the
    /// face routes answer 503 naming the cause.
    public var faces: (detector: String, recognizer: String)? = (FaceModelFactory.defaultDetector, FaceModelFactory.defaultRecognizer)
    /// Weights location.
    public var store: WeightsStore = .standard()

    public init() {}
}
