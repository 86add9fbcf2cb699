import Foundation
import HTTPTypes
import Hummingbird

/// The optional shared secret of `vz serve --api-key` / `VZ_API_KEY` (DeepStack's `API-KEY`).
///
/// When set, every `/v1/…` route needs it (the probes `/healthz` and `/readyz`, `/metrics`, `/openapi.json` and
/// the web page do not), given as any of: the header `X-API-Key: KEY`, `Authorization: Bearer KEY`, the query
/// parameter `api_key=KEY`, or — DeepStack's way — the multipart form field `api_key`. A missing or different key is
/// answered 401 before any image is decoded. Keys are compared in constant time.
struct APIKey: Sendable {
    let key: String

    /// Set (by `ServeMiddleware`) while a multipart request without a header/query key is handled: the form
    /// reader then requires its `api_key` field to hold this key.
    @TaskLocal static var requiredInForm: String?

    /// Whether `path` needs the key.
    static func protects(_ path: String) -> Bool { path.hasPrefix("/v1/") }

    /// The key a request carries outside its body, if any.
    static func presented(_ request: Request) -> String? {
        if let k = request.headers[HTTPField.Name("X-API-Key")!], !k.isEmpty { return k }
        if let a = request.headers[.authorization], a.lowercased().hasPrefix("bearer ") {
            return String(a.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        if let q = request.uri.queryParameters["api_key"] { return String(q) }
        return nil
    }

    /// Constant-time equality (the time does not depend on where the strings differ).
    func matches(_ candidate: String) -> Bool {
        let a = Array(key.utf8), b = Array(candidate.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }

    static let missing = ServeError.unauthorized("an API key is required (X-API-Key header, Authorization: Bearer, api_key query parameter or form field)")
    static let wrong = ServeError.unauthorized("the API key is not valid")
}
