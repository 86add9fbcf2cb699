import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// Parses `body` split by `boundary` in one forward scan (linear in the body's length); throws
    /// `ServeError.badRequest` naming what is malformed or which limit was exceeded.
    ///
    /// The scan works on the body's contiguous bytes (`find`: linear in the bytes it passes). `Data.range(of:in:)` in swift-corelibs-foundation costs time proportional to everything after the
    /// search start, not to the distance to the match, so searching part by part with it was quadratic in the
    /// number of parts (40,000 tiny fields: 5.5 s).
    public init(body: Data, boundary: String, limits: Limits = Limits()) throws {
        guard boundary.utf8.count <= 70 else { throw ServeError.badRequest("multipart boundary longer than 70 characters") }
        parts = try body.withUnsafeBytes { try Self.parse($0, boundary: boundary, limits: limits) }
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer, boundary: String, limits: Limits) throws -> [Part] {
        let delimiter = Array(("--" + boundary).utf8)
        let nextDelimiter = Array(("\r\n--" + boundary).utf8)
        let end = bytes.count
        guard var cursor = find(delimiter, in: bytes, from: 0, to: end).map({ $0 + delimiter.count }) else {
            throw ServeError.badRequest("multipart body has no '--\(boundary)' delimiter")
        }
        func at(_ i: Int, _ a: UInt8, _ b: UInt8) -> Bool { i + 1 < end && bytes[i] == a && bytes[i + 1] == b }
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), dash = UInt8(ascii: "-")
        var parts: [Part] = []
        while true {
            // After a delimiter: "--" closes the body, otherwise CRLF then headers.
            if at(cursor, dash, dash) { break }
            guard at(cursor, cr, lf) else { throw ServeError.badRequest("malformed multipart body: expected CRLF after a boundary") }
            cursor += 2
            guard parts.count < limits.maxParts else {
                throw ServeError.badRequest("too many multipart parts (limit \(limits.maxParts))")
            }
            let number = parts.count + 1
            // The header block ends at the first empty line (none at all: the part starts with CRLF).
            let headerStart = cursor, bodyStart: Int, headerEnd: Int
            if at(cursor, cr, lf) {
                headerEnd = cursor; bodyStart = cursor + 2
            } else {
                let window = min(end, cursor + limits.maxHeaderBytes + 4)
                guard let h = find([cr, lf, cr, lf], in: bytes, from: cursor, to: window) else {
                    if window < end {
                        throw ServeError.badRequest("multipart part \(number): headers longer than \(limits.maxHeaderBytes) bytes (limit)")
                    }
                    throw ServeError.badRequest("malformed multipart body: part headers never end")
                }
                headerEnd = h; bodyStart = h + 4
            }
            guard let next = find(nextDelimiter, in: bytes, from: bodyStart, to: end) else {
                throw ServeError.badRequest("malformed multipart body: missing closing boundary (truncated upload?)")
            }
            var part = Part(name: "", filename: nil, contentType: nil,
                            data: Data(UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<next])))
            let headerText = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[headerStart..<headerEnd]), as: UTF8.self)
            let lines = headerText.isEmpty ? [] : headerText.components(separatedBy: "\r\n")
            guard lines.count <= limits.maxHeaderLines else {
                throw ServeError.badRequest("multipart part \(number): \(lines.count) header lines, over the limit of \(limits.maxHeaderLines)")
            }
            for line in lines {
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
            cursor = next + nextDelimiter.count
        }
        return parts
    }

    /// The offset of the first `needle` in `bytes[from..<to]`, or nil: `memchr` for the needle's first byte, then
    /// a compare. At most `needle.count` (≤ 74) byte compares per body byte, so linear in the body whatever it holds.
    static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard let base = bytes.baseAddress, let first = needle.first, to - from >= needle.count else { return nil }
        let last = to - needle.count   // the last offset a match can start at
        var i = from
        return needle.withUnsafeBytes { n -> Int? in
            while i <= last {
                guard let hit = memchr(base + i, Int32(first), last - i + 1) else { return nil }
                let at = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + at, n.baseAddress!, needle.count) == 0 { return at }
                i = at + 1
            }
            return nil
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
