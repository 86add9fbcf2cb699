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
        if let offset = Self.nonASCIIHeaderNameByte(body, boundary: boundary) {
            throw ServeError.badRequest("malformed multipart body: non-ASCII byte in a part's header name at offset \(offset)")
        }
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
        // Every part names its field (RFC 7578 §4.2), and each field is given once: every field of this service
        // is one value (an image, a number, a name), so a repeated or nameless part is a malformed form, not one
        // to guess at (which of two `min_confidence` values applies?).
        var seen = Set<String>()
        for (i, p) in collector.parts.enumerated() {
            guard !p.name.isEmpty else {
                throw ServeError.badRequest("multipart part \(i + 1) has no field name (Content-Disposition: form-data; name=\"...\")")
            }
            guard seen.insert(p.name).inserted else {
                throw ServeError.badRequest("multipart field '\(p.name)' is given more than once")
            }
        }
        parts = collector.parts
    }

    /// The offset of the first byte ≥ 0x80 that multipart-kit's parser would read as part of a header *name*, or
    /// nil if there is none.
    ///
    /// multipart-kit 4.7.1 classifies each header-name byte by indexing a 128-entry table, so such a byte traps
    /// (index out of range) and would take the whole server down (found by `scripts/fuzz.sh multipart`). Header
    /// names are ASCII tokens (RFC 7230 §3.2), so refusing them loses nothing. This walks every place the parser
    /// can be reading header names: each header block begins right after `--boundary` CR LF, and continues line
    /// by line (name, `:`, value, CR LF) until an empty line — following the parser's own rules, stopping where it
    /// would throw a syntax error. An occurrence of `--boundary` that the parser would not take as a delimiter
    /// (inside a part's bytes without a preceding CR LF) is walked as well: that only ever refuses more, never less.
    /// Each line start is walked once, so the scan is linear in the body's length.
    static func nonASCIIHeaderNameByte(_ body: Data, boundary: String) -> Int? {
        let delimiter = Array(("--" + boundary + "\r\n").utf8)
        return body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int? in
            let bytes = raw.bindMemory(to: UInt8.self)
            let n = bytes.count, m = delimiter.count
            guard n >= m else { return nil }
            var walked = [UInt64](repeating: 0, count: n / 64 + 1)   // line starts already walked
            func firstVisit(_ p: Int) -> Bool {
                let bit = UInt64(1) << UInt64(p & 63)
                defer { walked[p >> 6] |= bit }
                return walked[p >> 6] & bit == 0
            }
            var i = 0
            while i + m <= n {
                // Find the next delimiter start (first byte, then the rest).
                guard bytes[i] == delimiter[0] else { i += 1; continue }
                var k = 1
                while k < m, bytes[i + k] == delimiter[k] { k += 1 }
                guard k == m else { i += 1; continue }
                // Walk this header block line by line.
                var line = i + m
                lines: while line < n, firstVisit(line) {
                    var p = line, nameLength = 0
                    while p < n {
                        let b = bytes[p]
                        if b == 58 /* : */, nameLength > 0 { break }
                        if b == 13 /* CR */, nameLength == 0 { break lines }   // empty line: the body begins
                        if b >= 0x80 { return p }
                        guard headerNameByte(b) else { break lines }           // the parser throws: no trap
                        nameLength += 1; p += 1
                    }
                    guard p < n else { break }
                    // The value runs to CR; the parser then requires LF.
                    p += 1
                    while p < n, bytes[p] != 13 { p += 1 }
                    guard p + 1 < n, bytes[p + 1] == 10 else { break }
                    line = p + 2
                }
                i += m
            }
            return nil
        }
    }

    /// RFC 7230 `tchar`: the ASCII bytes a header name may hold (what multipart-kit's table allows).
    private static func headerNameByte(_ b: UInt8) -> Bool {
        switch b {
        case 48...57, 65...90, 97...122: return true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
        default: return false
        }
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
