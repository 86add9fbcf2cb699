import Foundation
import ZooImage
import ZooModels
import ZooPipelines

/// A request that could not be served; carries the HTTP status and a message that names the problem.
///
/// Every error response of the service is JSON: `{"success": false, "error": "<message>", "status": <code>}`
/// (the DeepStack/CodeProject.AI error shape, plus the status).
public enum ServeError: Error, CustomStringConvertible, Equatable {
    /// 400: malformed request (missing field, bad option, not an image…).
    case badRequest(String)
    /// 401: `--api-key` is set and the request carries no key or another one.
    case unauthorized(String)
    /// 404: unknown model name.
    case notFound(String)
    /// 405: a known route asked with another method; `allow` lists the methods it answers (the `Allow` header).
    case methodNotAllowed(method: String, path: String, allow: [String])
    /// 408: the request body did not arrive within `--body-timeout-s` (the connection is closed after the answer).
    case bodyTimeout(seconds: Double)
    /// 409: the request conflicts with the stored state (faces of another recognizer than the gallery's).
    case conflict(String)
    /// 413: the body exceeds `--max-body-mb`.
    case bodyTooLarge(limit: Int)
    /// 422: a well-formed image the service refuses (too many pixels).
    case unprocessable(String)
    /// 503: every inference slot is busy and the queue is full.
    case overloaded(queue: Int)
    /// 503: models are still loading (or the server is shutting down).
    case notReady(String)
    /// 504: the request did not finish within `--timeout-s` (`stage`: "queue" or "inference").
    case timeout(stage: String)
    /// 500: a failure inside the pipeline.
    case internalError(String)

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .unauthorized: return 401
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .bodyTimeout: return 408
        case .conflict: return 409
        case .bodyTooLarge: return 413
        case .unprocessable: return 422
        case .overloaded, .notReady: return 503
        case .timeout: return 504
        case .internalError: return 500
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let m), .unauthorized(let m), .notFound(let m), .unprocessable(let m), .internalError(let m), .notReady(let m),
             .conflict(let m): return m
        case .methodNotAllowed(let method, let path, let allow):
            return "method \(method) not allowed on \(path) (allowed: \(allow.joined(separator: ", ")))"
        case .bodyTimeout(let s):
            return "request body not received within \(Self.seconds(s)) s (--body-timeout-s); closing the connection"
        case .bodyTooLarge(let limit): return "request body exceeds the limit of \(limit) bytes (--max-body-mb)"
        case .overloaded(let q): return "server busy: all inference slots are in use and the queue (\(q)) is full; retry later"
        case .timeout(let stage): return "request timed out while \(stage == "queue" ? "waiting in the queue" : "running \(stage)") (--timeout-s)"
        }
    }

    /// `30`, `0.5`: seconds without a trailing ".0".
    static func seconds(_ s: Double) -> String { s == s.rounded() && abs(s) < 1e9 ? String(Int(s)) : String(s) }

    /// Seconds a client should wait before retrying (for 503s).
    public var retryAfter: Int? {
        switch self {
        case .overloaded: return 1
        case .notReady: return 2
        default: return nil
        }
    }

    /// Maps pipeline errors: image decoding failures → 400 (not an image / corrupt) or 422 (pixel limit),
    /// bad options (unknown class, size) → 400, anything else → 500.
    public static func from(_ error: Error, field: String) -> ServeError {
        if let e = error as? ServeError { return e }
        if let e = error as? ImageError {
            switch e.kind {
            case .tooLarge: return .unprocessable(e.description)   // the description names the image already
            default: return .badRequest(e.description)
            }
        }
        if error is DetectorError || error is PreprocessError { return .badRequest("\(error)") }
        if let e = error as? GalleryError {
            switch e {
            case .recognizerMismatch, .dimensionMismatch: return .conflict(e.description)
            case .unknownPerson: return .notFound(e.description)
            case .invalidName, .invalidEmbedding, .noFaces: return .badRequest(e.description)
            // The database is unreachable or failing (PostgreSQL down, a locked file): transient, retry later.
            case .storage: return .notReady(e.description)
            case .unsupportedLocation: return .internalError(e.description)
            }
        }
        return .internalError("\(error)")
    }
}
