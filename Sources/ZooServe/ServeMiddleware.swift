import Foundation
import Hummingbird

/// Counts and times every request, and turns every failure into the JSON error body
/// (`ServeError` as is; a known path asked with another method: 405 + `Allow`; Hummingbird's other errors keep
/// their status; anything else is a 500).
struct ServeMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServiceMetrics
    /// `--api-key`, if set.
    var apiKey: APIKey? = nil
    /// `--access-log` (on by default in the CLI): one JSON line per request.
    var accessLog: AccessLog? = nil

    /// Every route and the methods it answers (the OpenAPI document's operations, which `VisionServer.makeRouter`
    /// registers): another method on a known path is answered 405 with `Allow`, not 404. Metrics report these
    /// paths under their own label; anything else is `other` (bounded label cardinality).
    static var methods: [String: [String]] { OpenAPIDocument.methods }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.requestStarted()
        let response: Response
        do {
            if let apiKey, APIKey.protects(request.uri.path) {
                if let given = APIKey.presented(request) {
                    guard apiKey.matches(given) else { throw APIKey.wrong }
                    response = try await next(request, context)
                } else if MultipartForm.boundary(contentType: request.headers[.contentType] ?? "") != nil
                            || (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") {
                    response = try await APIKey.$requiredInForm.withValue(apiKey.key) { try await next(request, context) }
                } else {
                    throw APIKey.missing
                }
            } else {
                response = try await next(request, context)
            }
        } catch let e as ServeError {
            response = HTTPJSON.error(e)
        } catch let e as any HTTPResponseError where e.status.code == 404 || e.status.code == 405 {
            let path = request.uri.path
            if let allow = Self.methods[path] {
                response = HTTPJSON.error(.methodNotAllowed(method: "\(request.method)", path: path, allow: allow))
            } else {
                response = HTTPJSON.response(["success": false, "error": "no route for \(request.method) \(path)", "status": 404],
                                             status: .notFound)
            }
        } catch let e as any HTTPResponseError {
            response = HTTPJSON.response(["success": false, "error": "\(e.status.reasonPhrase)", "status": e.status.code], status: e.status)
        } catch {
            response = HTTPJSON.error(.internalError("\(error)"))
        }
        let path = request.uri.path
        let seconds = (ContinuousClock.now - start).seconds
        metrics.requestFinished(route: Self.methods[path] != nil ? path : "other", method: "\(request.method)",
                                status: response.status.code, seconds: seconds)
        accessLog?.record(method: "\(request.method)", path: path, status: response.status.code, seconds: seconds,
                          bytesIn: request.headers[.contentLength].flatMap { Int($0) }, userAgent: request.headers[.userAgent])
        return response
    }
}
