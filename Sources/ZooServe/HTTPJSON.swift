import Foundation
import Hummingbird

/// JSON responses.
enum HTTPJSON {
    /// `object` serialised (keys sorted, so responses are stable) with `Content-Type: application/json`.
    static func response(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The error body `{"success": false, "error": message, "status": code}` (+ `Retry-After` for 503s, `Allow`
    /// for 405s, `Connection: close` for 408s: the rest of a late body is not read).
    static func error(_ e: ServeError) -> Response {
        var r = response(["success": false, "error": e.description, "status": e.status],
                         status: HTTPResponse.Status(code: e.status))
        if let s = e.retryAfter { r.headers[.retryAfter] = String(s) }
        switch e {
        case .methodNotAllowed(_, _, let allow): r.headers[.allow] = allow.joined(separator: ", ")
        case .bodyTimeout: r.headers[.connection] = "close"
        default: break
        }
        return r
    }
}
