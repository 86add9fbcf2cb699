import Foundation

/// A parsed `multipart/form-data` body (RFC 7578): the fields in order, each with its bytes.
public struct MultipartForm: Sendable {
    /// One form field.
    public struct Part: Sendable {
        /// `name` from `Content-Disposition: form-data; name="…"`.
        public var name: String
        /// `filename` from the same header, if any.
        public var filename: String?
        /// The part's `Content-Type`, if given.
        public var contentType: String?
        public var data: Data
    }

    public var parts: [Part]

    /// The first part named `name`.
    public func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    /// A text field's value (UTF-8), trimmed.
    public func text(_ name: String) -> String? {
        part(name).map { String(decoding: $0.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The `boundary` parameter of a `multipart/form-data` content type, or nil if it is not one.
    public static func boundary(contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = pieces.first, first.lowercased() == "multipart/form-data" else { return nil }
        for p in pieces.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" {
                var v = kv[1].trimmingCharacters(in: .whitespaces)
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                return v.isEmpty ? nil : v
            }
        }
        return nil
    }

    /// Parses `body` split by `boundary`; throws `ServeError.badRequest` naming what is malformed.
    public init(body: Data, boundary: String) throws {
        guard boundary.utf8.count <= 70 else { throw ServeError.badRequest("multipart boundary longer than 70 characters") }
        let delimiter = Data(("--" + boundary).utf8)
        let bytes = body
        guard var cursor = bytes.range(of: delimiter)?.upperBound else {
            throw ServeError.badRequest("multipart body has no '--\(boundary)' delimiter")
        }
        let crlf = Data("\r\n".utf8), headerEnd = Data("\r\n\r\n".utf8)
        let nextDelimiter = Data(("\r\n--" + boundary).utf8)
        var parts: [Part] = []
        while true {
            // After a delimiter: "--" closes the body, otherwise CRLF then headers.
            if bytes[cursor...].starts(with: Data("--".utf8)) { break }
            guard bytes[cursor...].starts(with: crlf) else { throw ServeError.badRequest("malformed multipart body: expected CRLF after a boundary") }
            cursor += 2
            guard let hEnd = bytes.range(of: headerEnd, in: cursor..<bytes.endIndex) else {
                throw ServeError.badRequest("malformed multipart body: part headers never end")
            }
            let headerText = String(decoding: bytes[cursor..<hEnd.lowerBound], as: UTF8.self)
            guard let next = bytes.range(of: nextDelimiter, in: hEnd.upperBound..<bytes.endIndex) else {
                throw ServeError.badRequest("malformed multipart body: missing closing boundary (truncated upload?)")
            }
            var part = Part(name: "", filename: nil, contentType: nil, data: Data(bytes[hEnd.upperBound..<next.lowerBound]))
            for line in headerText.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if key == "content-disposition" {
                    part.name = Self.parameter("name", in: value) ?? ""
                    part.filename = Self.parameter("filename", in: value)
                } else if key == "content-type" {
                    part.contentType = value
                }
            }
            parts.append(part)
            cursor = next.upperBound
        }
        self.parts = parts
    }

    /// `key="value"` (or unquoted) from a header value such as `form-data; name="image"; filename="a.jpg"`.
    static func parameter(_ key: String, in header: String) -> String? {
        for p in header.split(separator: ";").dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, kv[0].lowercased() == key else { continue }
            var v = kv[1]
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return nil
    }
}
