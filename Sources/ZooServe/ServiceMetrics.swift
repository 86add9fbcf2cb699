import Foundation
import Prometheus

/// The service's Prometheus metrics: a swift-prometheus `PrometheusCollectorRegistry`, exposed in the text format
/// (version 0.0.4) by `render()`.
///
/// - `vz_http_requests_total{route,method,status}` counter
/// - `vz_http_request_duration_seconds{route}` histogram (whole request, as the server sees it)
/// - `vz_stage_duration_seconds{model,stage}` histogram: `queue` (waiting for a slot), `decode`, `preprocess`,
///   `inference`, `postprocess`
/// - `vz_http_requests_in_flight`, `vz_inference_queue_depth`, `vz_inference_active` gauges
/// - `vz_model_load_seconds{model}` gauge, `vz_ready` gauge (1 when every model is loaded)
/// - `process_resident_memory_bytes` gauge (from `/proc/self/statm`; absent where that does not exist)
///
/// Label values are bounded by the callers (routes outside the route table are `other`, methods outside the
/// standard set are `OTHER`), so a client cannot grow the registry.
public final class ServiceMetrics: @unchecked Sendable {
    /// Histogram bucket upper bounds in seconds (Prometheus client defaults, widened for CPU inference).
    public static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// Methods reported under their own label.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]

    public let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge, active: Gauge, queued: Gauge, ready: Gauge
    private let resident: Gauge?
    /// Reads the gate's (active, queued) at render time.
    var gateState: (@Sendable () -> (active: Int, queued: Int))?
    /// Reads readiness at render time.
    var readiness: (@Sendable () -> Bool)?

    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
    private static let requestsTotal = name("vz_http_requests_total", "HTTP requests served, by route, method and status.")
    private static let requestDuration = name("vz_http_request_duration_seconds", "Request latency as seen by the server, by route.")
    private static let stageDuration = name("vz_stage_duration_seconds",
                                            "Pipeline stage latency (queue, decode, preprocess, inference, postprocess).")
    private static let modelLoad = name("vz_model_load_seconds", "Time to load each model at startup.")

    public init() {
        inFlight = registry.makeGauge(descriptor: Self.name("vz_http_requests_in_flight", "Requests being handled now."))
        active = registry.makeGauge(descriptor: Self.name("vz_inference_active", "Inference slots in use."))
        queued = registry.makeGauge(descriptor: Self.name("vz_inference_queue_depth", "Requests waiting for an inference slot."))
        ready = registry.makeGauge(descriptor: Self.name("vz_ready", "1 when every model is loaded and the server accepts work."))
        resident = Self.residentBytes() == nil ? nil
            : registry.makeGauge(descriptor: Self.name("process_resident_memory_bytes", "Resident memory size in bytes."))
    }

    func requestStarted() { inFlight.increment() }

    func requestFinished(route: String, method: String, status: Int, seconds: Double) {
        inFlight.decrement()
        let method = Self.methods.contains(method) ? method : "OTHER"
        registry.makeCounter(descriptor: Self.requestsTotal,
                             labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeValueHistogram(descriptor: Self.requestDuration, labels: [("route", route)], buckets: Self.buckets)
            .record(seconds)
    }

    func observeStage(model: String, stage: String, seconds: Double) {
        registry.makeValueHistogram(descriptor: Self.stageDuration, labels: [("model", model), ("stage", stage)],
                                    buckets: Self.buckets).record(seconds)
    }

    func modelLoaded(_ model: String, seconds: Double) {
        registry.makeGauge(descriptor: Self.modelLoad, labels: [("model", model)]).set(to: seconds)
    }

    /// The exposition text (gauges read at render time are refreshed first).
    public func render() -> String {
        let gate: (active: Int, queued: Int) = gateState?() ?? (active: 0, queued: 0)
        active.set(to: Double(gate.active))
        queued.set(to: Double(gate.queued))
        ready.set(to: (readiness?() ?? false) ? 1 : 0)
        if let resident, let rss = Self.residentBytes() { resident.set(to: Double(rss)) }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Resident set size from `/proc/self/statm` (pages × page size), nil off Linux.
    public static func residentBytes() -> Int? {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let f = s.split(separator: " ")
        guard f.count > 1, let pages = Int(f[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
