import Foundation
import Hummingbird

/// The text fields of a request that DeepStack clients send either as multipart/form-data or as
/// application/x-www-form-urlencoded (deepstack-python's `data={"userid": …}`), plus the query parameters; the
/// body's `api_key` field is checked like `ImageUpload.form` does.
struct FormFields {
    var fields: [String: String] = [:]
    /// The multipart form, when the body was one (its image parts).
    var form: MultipartForm?

    func text(_ name: String) -> String? { fields[name] }

    static func read(_ request: Request, limit: Int) async throws -> FormFields {
        var out = FormFields()
        for (k, v) in request.uri.queryParameters where out.fields[String(k)] == nil { out.fields[String(k)] = String(v) }
        let type = (request.headers[.contentType] ?? "").lowercased()
        if MultipartForm.boundary(contentType: type) != nil {
            let form = try await ImageUpload.form(request, limit: limit)
            for p in form.parts where p.filename == nil { if let t = form.text(p.name) { out.fields[p.name] = t } }
            out.form = form
        } else if type.hasPrefix("application/x-www-form-urlencoded") {
            let body = String(decoding: try await ImageUpload.body(request, limit: limit), as: UTF8.self)
            var seen = Set<String>()
            for pair in body.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
                // As for multipart bodies (`MultipartForm`): every field named, each given once.
                guard let k = kv.first, !k.isEmpty else { throw ServeError.badRequest("form field without a name in the urlencoded body") }
                guard !seen.contains(k) else { throw ServeError.badRequest("form field '\(k)' is given more than once") }
                seen.insert(k)
                out.fields[k] = kv.count > 1 ? kv[1].trimmingCharacters(in: .whitespacesAndNewlines) : ""
            }
            if let key = APIKey.requiredInForm {
                guard let given = out.fields["api_key"] else { throw APIKey.missing }
                guard APIKey(key: key).matches(given) else { throw APIKey.wrong }
            }
        } else if let key = APIKey.requiredInForm {
            // Not reachable through ServeMiddleware (which sets the task-local only for form bodies); kept for safety.
            guard let given = out.fields["api_key"], APIKey(key: key).matches(given) else { throw APIKey.missing }
        }
        return out
    }

    /// Image parts: `image`, then `image1`, `image2`, … (DeepStack's register takes several).
    var images: [FaceUpload] {
        guard let form else { return [] }
        return form.parts.filter { p in
            p.name == "image" || (p.name.hasPrefix("image") && !p.name.dropFirst(5).isEmpty && p.name.dropFirst(5).allSatisfy(\.isNumber))
        }.map { FaceUpload(data: $0.data, field: $0.name, filename: $0.filename) }
    }
}
