import Foundation
import Logging

/// The per-request access log of `vz serve`: one JSON object per line (swift-log, with `JSONLogHandler`), written
/// when the response is ready:
///
///     {"time":"2026-12-03T06:10:00.123Z","level":"info","msg":"request","method":"POST","path":"/v1/detect",
///      "status":200,"duration_ms":81.4,"bytes_in":52341,"user_agent":"curl/8.5.0"}
///
/// `path` never carries the query string (it may hold an `api_key`); values are bounded in length.
public struct AccessLog: Sendable {
    public var logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// A log writing JSON lines to standard error.
    public static func standardError() -> AccessLog {
        AccessLog(logger: Logger(label: "vz.access") { label in JSONLogHandler(label: label, sink: JSONLogHandler.standardError) })
    }

    func record(method: String, path: String, status: Int, seconds: Double, bytesIn: Int?, userAgent: String?) {
        var metadata: Logger.Metadata = [
            "method": .string(String(method.prefix(16))),
            "path": .string(String(path.prefix(256))),
            "status": .stringConvertible(status),
            "duration_ms": .stringConvertible((seconds * 1e5).rounded() / 100),
        ]
        if let bytesIn { metadata["bytes_in"] = .stringConvertible(bytesIn) }
        if let userAgent { metadata["user_agent"] = .string(String(userAgent.prefix(256))) }
        logger.info("request", metadata: metadata)
    }
}

/// A swift-log handler that writes each record as one JSON object on one line: `time` (ISO 8601, UTC, ms),
/// `level`, `msg`, then the metadata (handler's, then the record's) as keys. Integer- and number-valued
/// metadata given as `.stringConvertible` are written as JSON numbers; everything else as strings.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public let label: String
    let sink: @Sendable (String) -> Void

    public init(label: String, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.sink = sink
    }

    /// Writes a line to stderr in one `write` call (lines from concurrent requests never interleave).
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8); bytes.append(10)
        bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        log(level: event.level, message: event.message, metadata: event.metadata, source: event.source,
            file: event.file, function: event.function, line: event.line)
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var object: [(String, Any)] = [("time", Self.timestamp()), ("level", level.rawValue), ("msg", message.description)]
        let merged = self.metadata.merging(explicit ?? [:]) { _, new in new }
        for key in merged.keys.sorted(by: Self.order) { object.append((key, Self.json(merged[key]!))) }
        sink(Self.render(object))
    }

    /// Access-log keys first in a fixed order, the rest alphabetically.
    static func order(_ a: String, _ b: String) -> Bool {
        let fixed = ["method", "path", "status", "duration_ms", "bytes_in", "user_agent"]
        switch (fixed.firstIndex(of: a), fixed.firstIndex(of: b)) {
        case let (i?, j?): return i < j
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a < b
        }
    }

    static func json(_ v: Logger.Metadata.Value) -> Any {
        switch v {
        case .string(let s): return s
        case .stringConvertible(let c):
            if let i = c as? Int { return i }
            if let d = c as? Double, d.isFinite { return d }
            return c.description
        case .array(let a): return a.map(json)
        case .dictionary(let d): return d.mapValues(json)
        }
    }

    static func render(_ pairs: [(String, Any)]) -> String {
        pairs.map { "\(quote($0.0)):\(value($0.1))" }.joined(separator: ",").wrapped
    }

    private static func value(_ v: Any) -> String {
        switch v {
        case let s as String: return quote(s)
        case let i as Int: return String(i)
        case let d as Double: return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case let a as [Any]: return "[" + a.map(value).joined(separator: ",") + "]"
        case let o as [String: Any]: return "{" + o.keys.sorted().map { "\(quote($0)):\(value(o[$0]!))" }.joined(separator: ",") + "}"
        default: return quote("\(v)")
        }
    }

    /// A JSON string literal (RFC 8259 escapes; control characters as \u00XX).
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7f: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func timestamp() -> String {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        var tmv = tm()
        var secs = t.tv_sec
        gmtime_r(&secs, &tmv)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1, Int(tmv.tm_mday),
                      Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec), Int(t.tv_nsec / 1_000_000))
    }
}

private extension String {
    var wrapped: String { "{" + self + "}" }
}
