import Foundation
import Hummingbird

/// Counts and times every request, and turns every failure into the JSON error body
/// (`ServeError` as is; Hummingbird's own errors such as 404/405 keep their status; anything else is a 500).
struct ServeMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServiceMetrics

    /// Routes reported under their own label; anything else is `other` (bounded label cardinality).
    static let routes: Set<String> = ["/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/models", "/v1/detect",
                                      "/v1/vision/detection", "/v1/vision/face/match", "/v1/faces/verify"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.requestStarted()
        let response: Response
        do {
            response = try await next(request, context)
        } catch let e as ServeError {
            response = HTTPJSON.error(e)
        } catch let e as any HTTPResponseError {
            let code = e.status.code
            let message = code == 404 ? "no route for \(request.method) \(request.uri.path)"
                : code == 405 ? "method \(request.method) not allowed on \(request.uri.path)" : "\(e.status.reasonPhrase)"
            response = HTTPJSON.response(["success": false, "error": message, "status": code], status: e.status)
        } catch {
            response = HTTPJSON.error(.internalError("\(error)"))
        }
        let path = request.uri.path
        metrics.requestFinished(route: Self.routes.contains(path) ? path : "other", method: "\(request.method)",
                                status: response.status.code, seconds: (ContinuousClock.now - start).seconds)
        return response
    }
}
