import Foundation

/// A parsed JSON value. Objects keep their members in file order as (key, value) pairs (they are small here).
///
/// A purpose-built reader: COCO results files hold hundreds of thousands of small objects, which Foundation's
/// `JSONSerialization`/`JSONDecoder` parse at ~8 MB/s here; this one parses at several times that. Numbers are
/// converted exactly like Python's `float()` (correctly rounded: Clinger's fast path when exact, else `strtod`).
enum JSONValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// The member `key` of an object (first occurrence), nil otherwise.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for (k, v) in members where k == key { return v }
        return nil
    }

    /// Parses a whole document; throws `JSONValue.SyntaxError` with the line and column of the problem.
    ///
    /// Linear in the input and bounded: nesting deeper than `maxDepth` and more than `maxValues` values are
    /// syntax errors (found before the value that exceeds them is built), so no input can exhaust the stack.
    static func parse(_ data: Data, maxDepth: Int = EvalLimits.maxJSONDepth,
                      maxValues: Int = EvalLimits.maxJSONValues) throws -> JSONValue {
        var bytes = [UInt8](data)
        bytes.append(0)   // sentinel: strtod and the scanner stop on it
        return try bytes.withUnsafeBufferPointer { buf in
            var p = Parser(b: buf.baseAddress!, end: buf.count - 1, maxDepth: maxDepth, maxValues: maxValues)
            p.skipSpace()
            let v = try p.value(depth: 0)
            p.skipSpace()
            if p.i != p.end { throw p.error("unexpected data after the JSON value") }
            return v
        }
    }

    struct SyntaxError: Error, CustomStringConvertible {
        let line: Int, column: Int, message: String
        var description: String { "line \(line), column \(column): \(message)" }
    }

    /// 10^0 … 10^22, all exact in a Double.
    static let exactPowers: [Double] = (0...22).map { pow(10, Double($0)) }

    struct Parser {
        let b: UnsafePointer<UInt8>
        let end: Int
        let maxDepth: Int, maxValues: Int
        var i = 0
        var values = 0

        init(b: UnsafePointer<UInt8>, end: Int, maxDepth: Int = EvalLimits.maxJSONDepth, maxValues: Int = EvalLimits.maxJSONValues) {
            self.b = b; self.end = end; self.maxDepth = maxDepth; self.maxValues = maxValues
        }

        func error(_ message: String) -> SyntaxError {
            var line = 1, col = 1
            for j in 0..<min(i, end) { if b[j] == 10 { line += 1; col = 1 } else { col += 1 } }
            return SyntaxError(line: line, column: col, message: message)
        }

        mutating func skipSpace() {
            while i < end, b[i] == 32 || b[i] == 10 || b[i] == 13 || b[i] == 9 { i += 1 }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
            guard i < end else { throw error("unexpected end of file") }
            values += 1
            guard values <= maxValues else { throw error("more than \(maxValues) values") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, JSONValue)] = []
                skipSpace()
                if i < end, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard i < end, b[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let key = try string()
                    skipSpace()
                    guard i < end, b[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    i += 1
                    skipSpace()
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    guard i < end else { throw error("unexpected end of file in an object") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSONValue] = []
                skipSpace()
                if i < end, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < end else { throw error("unexpected end of file in an array") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(try number())
            default:
                throw error("unexpected character '\(Character(Unicode.Scalar(b[i])))'")
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard i + n <= end, memcmp(b + i, word.utf8Start, n) == 0 else { throw error("invalid literal") }
            i += n
        }

        mutating func number() throws -> Double {
            let start = i
            var negative = false
            if b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            var mantissa: UInt64 = 0, digits = 0, fracDigits = 0
            let intStart = i
            while i < end, b[i] >= 48, b[i] <= 57 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(b[i] - 48) }
                digits += 1; i += 1
            }
            guard i > intStart else { throw error("invalid number") }
            if i - intStart > 1 && b[intStart] == 48 { throw error("invalid number (leading zero)") }
            var simple = true
            if i < end, b[i] == UInt8(ascii: ".") {
                i += 1
                let fs = i
                while i < end, b[i] >= 48, b[i] <= 57 {
                    if digits < 19 { mantissa = mantissa * 10 + UInt64(b[i] - 48); fracDigits += 1 }
                    digits += 1; i += 1
                }
                guard i > fs else { throw error("invalid number (no digits after '.')") }
            }
            if i < end, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                simple = false
                i += 1
                if i < end, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                let es = i
                while i < end, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > es else { throw error("invalid number (no exponent digits)") }
            }
            // Exact fast path: an integer mantissa < 2^53 divided by an exact power of ten rounds once, correctly.
            if simple && digits <= 15 && fracDigits <= 22 {
                let v = Double(mantissa) / JSONValue.exactPowers[fracDigits]
                return negative ? -v : v
            }
            let v = strtod(UnsafeRawPointer(b + start).assumingMemoryBound(to: CChar.self), nil)
            guard v.isFinite else { throw error("number out of range") }
            return v
        }

        mutating func string() throws -> String {
            i += 1   // opening quote
            let start = i
            while i < end, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") {
                if b[i] < 0x20 { throw error("control character in a string") }
                i += 1
            }
            guard i < end else { throw error("unterminated string") }
            if b[i] == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(start: b + start, count: i - start), as: UTF8.self)
                i += 1
                return s
            }
            var out = [UInt8](UnsafeBufferPointer(start: b + start, count: i - start))
            while true {
                guard i < end else { throw error("unterminated string") }
                let c = b[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c < 0x20 { throw error("control character in a string") }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                guard i + 1 < end else { throw error("unterminated escape") }
                let e = b[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), i + 1 < end, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        code = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    }
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("invalid escape")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= end else { throw error("invalid \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 65...70: d = UInt32(c - 55)
                case 97...102: d = UInt32(c - 87)
                default: throw error("invalid \\u escape")
                }
                v = v * 16 + d; i += 1
            }
            return v
        }
    }
}
