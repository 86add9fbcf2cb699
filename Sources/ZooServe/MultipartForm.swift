import Foundation
import MultipartKit
import NIOCore

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

    /// Limits applied while parsing (a form of this service has at most a handful of fields: two images and a
    /// threshold). Checked as the scan goes, so an over-limit body is refused after reading at most the limit.
    public struct Limits: Sendable {
        /// Parts per body (400 "too many multipart parts (limit N)" beyond); a route of this service needs 1-3.
        public var maxParts = 64
        /// Bytes of one part's header block (the lines before its blank line).
        public var maxHeaderBytes = 8 << 10
        /// Header lines of one part.
        public var maxHeaderLines = 16
        public init() {}
    }

    /// Parses `body` split by `boundary` with multipart-kit's streaming `MultipartParser` (one forward pass,
    /// linear in the body's length); throws `ServeError.badRequest` naming what is malformed or which limit was
    /// exceeded.
    ///
    /// The body is fed in 64 KiB chunks and the limits are checked between chunks, so an over-limit body is
    /// refused after at most one chunk beyond the limit (the parser's callbacks cannot throw; parts past the limit
    /// are not stored).
    public init(body: Data, boundary: String, limits: Limits = Limits()) throws {
        guard boundary.utf8.count <= 70 else { throw ServeError.badRequest("multipart boundary longer than 70 characters") }
        let collector = PartCollector(limits: limits)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name, value) }
        parser.onBody = { chunk in collector.body(chunk) }
        parser.onPartComplete = { collector.complete() }
        let chunk = 64 << 10
        var offset = 0
        while offset < body.count {
            let upper = min(body.count, offset + chunk)
            do {
                try parser.execute(ByteBuffer(bytes: body[body.startIndex + offset ..< body.startIndex + upper]))
            } catch {
                throw ServeError.badRequest("malformed multipart body: syntax error in part \(collector.parts.count + 1) (headers or boundary)")
            }
            if let failure = collector.failure { throw ServeError.badRequest(failure) }
            offset = upper
        }
        if let failure = collector.failure { throw ServeError.badRequest(failure) }
        guard collector.sawDelimiter || !collector.parts.isEmpty else {
            throw ServeError.badRequest("multipart body has no '--\(boundary)' delimiter")
        }
        // The body must end with the closing delimiter (`--boundary--`, optionally followed by CRLF): otherwise
        // the upload was truncated and the last part is incomplete.
        guard Self.endsWithClosingDelimiter(body, boundary: boundary), !collector.open else {
            throw ServeError.badRequest("malformed multipart body: missing closing boundary (truncated upload?)")
        }
        parts = collector.parts
    }

    /// Whether `body` ends with `--boundary--`, allowing trailing CR, LF, space or tab (an epilogue of whitespace).
    static func endsWithClosingDelimiter(_ body: Data, boundary: String) -> Bool {
        var end = body.endIndex
        while end > body.startIndex, [13, 10, 32, 9].contains(body[end - 1]) { end -= 1 }
        let closing = Array(("--" + boundary + "--").utf8)
        guard end - body.startIndex >= closing.count else { return false }
        return body[(end - closing.count)..<end].elementsEqual(closing)
    }

    /// Accumulates the parser's callbacks into parts and records the first limit exceeded.
    private final class PartCollector {
        let limits: Limits
        var parts: [Part] = []
        var current = Part(name: "", filename: nil, contentType: nil, data: Data())
        var headerLines = 0, headerBytes = 0
        /// A part has begun (a header or body byte seen) and not yet completed.
        var open = false
        var sawDelimiter = false
        var failure: String?

        init(limits: Limits) { self.limits = limits }

        func header(_ name: String, _ value: String) {
            guard failure == nil else { return }
            open = true
            sawDelimiter = true
            headerLines += 1
            headerBytes += name.utf8.count + value.utf8.count + 4
            let number = parts.count + 1
            if headerBytes > limits.maxHeaderBytes {
                failure = "multipart part \(number): headers longer than \(limits.maxHeaderBytes) bytes (limit)"
            } else if headerLines > limits.maxHeaderLines {
                failure = "multipart part \(number): \(headerLines) header lines, over the limit of \(limits.maxHeaderLines)"
            }
            switch name.lowercased() {
            case "content-disposition":
                current.name = MultipartForm.parameter("name", in: value) ?? ""
                current.filename = MultipartForm.parameter("filename", in: value)
            case "content-type":
                current.contentType = value
            default: break
            }
        }

        func body(_ chunk: ByteBuffer) {
            guard failure == nil else { return }
            open = true
            sawDelimiter = true
            current.data.append(contentsOf: chunk.readableBytesView)
        }

        func complete() {
            sawDelimiter = true
            guard failure == nil else { return }
            guard parts.count < limits.maxParts else {
                failure = "too many multipart parts (limit \(limits.maxParts))"
                return
            }
            parts.append(current)
            current = Part(name: "", filename: nil, contentType: nil, data: Data())
            headerLines = 0; headerBytes = 0
            open = false
        }
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
