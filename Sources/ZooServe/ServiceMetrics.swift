import Foundation

/// The service's Prometheus metrics, rendered in the text exposition format (version 0.0.4) by `render()`.
///
/// - `vz_http_requests_total{route,method,status}` counter
/// - `vz_http_request_duration_seconds{route}` histogram (whole request, as the server sees it)
/// - `vz_stage_duration_seconds{model,stage}` histogram: `queue` (waiting for a slot), `decode`, `preprocess`,
///   `inference`, `postprocess`
/// - `vz_http_requests_in_flight`, `vz_inference_queue_depth`, `vz_inference_active` gauges
/// - `vz_model_load_seconds{model}` gauge, `vz_ready` gauge (1 when every model is loaded)
/// - `process_resident_memory_bytes` gauge (from `/proc/self/statm`; absent where that does not exist)
public final class ServiceMetrics: @unchecked Sendable {
    /// Histogram bucket upper bounds in seconds (Prometheus client defaults, widened for CPU inference).
    public static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    struct Histogram {
        var counts = [UInt64](repeating: 0, count: ServiceMetrics.buckets.count)
        var sum = 0.0
        var count: UInt64 = 0
        mutating func observe(_ v: Double) {
            if let i = ServiceMetrics.buckets.firstIndex(where: { v <= $0 }) { counts[i] += 1 }
            sum += v
            count += 1
        }
    }

    private let lock = NSLock()
    private var requests: [String: UInt64] = [:]           // key: rendered label set
    private var requestDurations: [String: Histogram] = [:]
    private var stageDurations: [String: Histogram] = [:]
    private var modelLoad: [String: Double] = [:]
    private var inFlight = 0
    /// Reads the gate's (active, queued) at render time.
    var gateState: (@Sendable () -> (active: Int, queued: Int))?
    /// Reads readiness at render time.
    var readiness: (@Sendable () -> Bool)?

    public init() {}

    func requestStarted() { lock.lock(); inFlight += 1; lock.unlock() }

    func requestFinished(route: String, method: String, status: Int, seconds: Double) {
        let key = "route=\"\(escape(route))\",method=\"\(escape(method))\",status=\"\(status)\""
        let routeKey = "route=\"\(escape(route))\""
        lock.lock()
        inFlight -= 1
        requests[key, default: 0] += 1
        requestDurations[routeKey, default: Histogram()].observe(seconds)
        lock.unlock()
    }

    func observeStage(model: String, stage: String, seconds: Double) {
        let key = "model=\"\(escape(model))\",stage=\"\(stage)\""
        lock.lock(); stageDurations[key, default: Histogram()].observe(seconds); lock.unlock()
    }

    func modelLoaded(_ model: String, seconds: Double) {
        lock.lock(); modelLoad[model] = seconds; lock.unlock()
    }

    /// The requests counter for one label set (tests).
    public func requestCount(route: String, status: Int) -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        return requests.filter { $0.key.hasPrefix("route=\"\(route)\"") && $0.key.hasSuffix("status=\"\(status)\"") }
            .values.reduce(0, +)
    }

    /// The exposition text.
    public func render() -> String {
        lock.lock()
        let requests = self.requests, requestDurations = self.requestDurations, stageDurations = self.stageDurations
        let modelLoad = self.modelLoad, inFlight = self.inFlight
        lock.unlock()
        var out = ""
        out += "# HELP vz_http_requests_total HTTP requests served, by route, method and status.\n"
        out += "# TYPE vz_http_requests_total counter\n"
        for (k, v) in requests.sorted(by: { $0.key < $1.key }) { out += "vz_http_requests_total{\(k)} \(v)\n" }
        out += "# HELP vz_http_request_duration_seconds Request latency as seen by the server, by route.\n"
        out += "# TYPE vz_http_request_duration_seconds histogram\n"
        for (k, h) in requestDurations.sorted(by: { $0.key < $1.key }) { out += histogram("vz_http_request_duration_seconds", k, h) }
        out += "# HELP vz_stage_duration_seconds Pipeline stage latency (queue, decode, preprocess, inference, postprocess).\n"
        out += "# TYPE vz_stage_duration_seconds histogram\n"
        for (k, h) in stageDurations.sorted(by: { $0.key < $1.key }) { out += histogram("vz_stage_duration_seconds", k, h) }
        out += "# HELP vz_http_requests_in_flight Requests being handled now.\n# TYPE vz_http_requests_in_flight gauge\n"
        out += "vz_http_requests_in_flight \(inFlight)\n"
        let gate: (active: Int, queued: Int) = gateState?() ?? (active: 0, queued: 0)
        out += "# HELP vz_inference_active Inference slots in use.\n# TYPE vz_inference_active gauge\n"
        out += "vz_inference_active \(gate.active)\n"
        out += "# HELP vz_inference_queue_depth Requests waiting for an inference slot.\n# TYPE vz_inference_queue_depth gauge\n"
        out += "vz_inference_queue_depth \(gate.queued)\n"
        out += "# HELP vz_model_load_seconds Time to load each model at startup.\n# TYPE vz_model_load_seconds gauge\n"
        for (m, s) in modelLoad.sorted(by: { $0.key < $1.key }) { out += "vz_model_load_seconds{model=\"\(escape(m))\"} \(fmt(s))\n" }
        out += "# HELP vz_ready 1 when every model is loaded and the server accepts work.\n# TYPE vz_ready gauge\n"
        out += "vz_ready \((readiness?() ?? false) ? 1 : 0)\n"
        if let rss = Self.residentBytes() {
            out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n"
            out += "process_resident_memory_bytes \(rss)\n"
        }
        return out
    }

    private func histogram(_ name: String, _ labels: String, _ h: Histogram) -> String {
        var out = "", cumulative: UInt64 = 0
        for (i, le) in Self.buckets.enumerated() {
            cumulative += h.counts[i]
            out += "\(name)_bucket{\(labels),le=\"\(fmt(le))\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(h.count)\n"
        out += "\(name)_sum{\(labels)} \(fmt(h.sum))\n\(name)_count{\(labels)} \(h.count)\n"
        return out
    }

    /// Resident set size from `/proc/self/statm` (pages × page size), nil off Linux.
    public static func residentBytes() -> Int? {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let f = s.split(separator: " ")
        guard f.count > 1, let pages = Int(f[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

private func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
}

private func fmt(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}
