import Foundation
import Hummingbird

/// Reading image uploads: a raw body (`Content-Type: image/*` or `application/octet-stream`) or a
/// `multipart/form-data` field, under the body limit.
struct ImageUpload {
    var data: Data
    var filename: String?

    /// The request body, at most `limit` bytes (else `ServeError.bodyTooLarge`).
    static func body(_ request: Request, limit: Int) async throws -> Data {
        if let s = request.headers[.contentLength], let n = Int(s), n > limit { throw ServeError.bodyTooLarge(limit: limit) }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            throw ServeError.bodyTooLarge(limit: limit)
        }
        return Data(buffer.readableBytesView)
    }

    /// The body parsed as multipart/form-data (400 if the content type is something else).
    static func form(_ request: Request, limit: Int) async throws -> MultipartForm {
        let type = request.headers[.contentType] ?? ""
        guard let boundary = MultipartForm.boundary(contentType: type) else {
            throw ServeError.badRequest("expected a multipart/form-data body (Content-Type was '\(type.isEmpty ? "none" : type)')")
        }
        let form = try MultipartForm(body: try await body(request, limit: limit), boundary: boundary)
        if let key = APIKey.requiredInForm {
            guard let given = form.text("api_key") else { throw APIKey.missing }
            guard APIKey(key: key).matches(given) else { throw APIKey.wrong }
        }
        return form
    }

    /// The image: the multipart field `field` if the body is multipart, else the whole body.
    static func read(_ request: Request, field: String, limit: Int) async throws -> ImageUpload {
        let type = request.headers[.contentType] ?? ""
        if MultipartForm.boundary(contentType: type) != nil {
            let form = try await form(request, limit: limit)
            guard let part = form.part(field) else {
                throw ServeError.badRequest("multipart field '\(field)' is missing (fields: \(form.parts.map(\.name).joined(separator: ", ")))")
            }
            return ImageUpload(data: part.data, filename: part.filename ?? "upload")
        }
        // A raw body has no file name: results name it "upload".
        return ImageUpload(data: try await body(request, limit: limit), filename: "upload")
    }
}
