import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bad or unreadable safetensors file; `description` names the file, the field and the problem.
public struct SafeTensorsError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}

/// Reader (memory-mapped) and writer of the safetensors format
/// (`u64 little-endian header length`, JSON header `{name: {dtype, shape, data_offsets}}`, raw data).
///
/// The whole header is validated on open: JSON structure, known dtype, non-negative shape, offsets within
/// the data region, `end - begin == product(shape) · sizeof(dtype)`, no two tensors overlapping.
/// `tensor(_:)` converts F32, F16, BF16 (and F64) to a fresh Float32 `Tensor` of the stored shape.
public final class SafeTensors {
    /// One tensor's header entry.
    public struct Entry: Equatable, Sendable {
        public let dtype: String
        public let shape: [Int]
        /// Byte range relative to the start of the data region.
        public let begin: Int, end: Int
    }

    /// Element size in bytes of every dtype the format defines.
    static let dtypeSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]
    /// Headers larger than this are refused (the official implementation uses 100 MB as well).
    public static let maxHeaderBytes = 100_000_000

    public let url: URL
    public let entries: [String: Entry]
    /// The optional `__metadata__` string map.
    public let metadata: [String: String]
    private let base: UnsafeMutableRawPointer?
    private let mappedLength: Int
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Opens and validates `url`, memory-mapping its contents.
    public init(contentsOf url: URL) throws {
        self.url = url
        let file = url.path
        func fail(_ p: String) -> SafeTensorsError { SafeTensorsError(file: file, problem: p) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir) else { throw fail("no such file") }
        guard !isDir.boolValue else { throw fail("is a directory, not a safetensors file") }
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { throw fail("cannot open (errno \(errno))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail("cannot stat (errno \(errno))") }
        let size = Int(st.st_size)
        guard size >= 8 else { throw fail(size == 0 ? "empty file" : "truncated: \(size) bytes, the 8-byte header length is missing") }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else { throw fail("cannot memory-map (errno \(errno))") }
        var ok = false
        defer { if !ok { munmap(m, size) } }
        let headerLen64 = m.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLen64 <= UInt64(size - 8) else {
            throw fail("header length \(headerLen64) exceeds the file's remaining \(size - 8) bytes")
        }
        let headerLen = Int(headerLen64)
        guard headerLen <= Self.maxHeaderBytes else { throw fail("header length \(headerLen) is over the \(Self.maxHeaderBytes)-byte limit") }
        guard headerLen >= 2 else { throw fail("header length \(headerLen) is too small for a JSON object") }
        let headerData = Data(bytes: m + 8, count: headerLen)
        guard headerData.first == UInt8(ascii: "{") else { throw fail("header does not start with '{'") }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) } catch { throw fail("header is not valid JSON") }
        guard let obj = json as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataLen = size - 8 - headerLen
        var entries: [String: Entry] = [:]
        var meta: [String: String] = [:]
        for (name, value) in obj {
            if name == "__metadata__" {
                guard let md = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in md {
                    guard let s = v as? String else { throw fail("__metadata__.\(k) is not a string") }
                    meta[k] = s
                }
                continue
            }
            guard let e = value as? [String: Any] else { throw fail("tensor '\(name)': entry is not an object") }
            guard let dtype = e["dtype"] as? String else { throw fail("tensor '\(name)': missing or non-string dtype") }
            guard let esize = Self.dtypeSizes[dtype] else { throw fail("tensor '\(name)': unknown dtype '\(dtype)'") }
            guard let shapeAny = e["shape"] as? [Any] else { throw fail("tensor '\(name)': missing or non-array shape") }
            var shape: [Int] = []
            for d in shapeAny {
                guard let n = Self.integer(d), n >= 0 else { throw fail("tensor '\(name)': shape \(shapeAny) has a non-integer or negative dimension") }
                shape.append(n)
            }
            guard let offs = e["data_offsets"] as? [Any], offs.count == 2,
                  let begin = Self.integer(offs[0]), let end = Self.integer(offs[1]) else {
                throw fail("tensor '\(name)': data_offsets must be two integers")
            }
            guard begin >= 0, begin <= end else { throw fail("tensor '\(name)': data_offsets [\(begin), \(end)] are not increasing") }
            guard end <= dataLen else {
                throw fail("tensor '\(name)': data_offsets [\(begin), \(end)] run past the data region of \(dataLen) bytes")
            }
            var elements = 1
            for d in shape {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw fail("tensor '\(name)': shape \(shape) overflows") }
                elements = p
            }
            let (bytes, o) = elements.multipliedReportingOverflow(by: esize)
            guard !o, bytes == end - begin else {
                throw fail("tensor '\(name)': shape \(shape) × \(dtype) needs \(elements * esize) bytes but data_offsets span \(end - begin)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        let sorted = entries.sorted { ($0.value.begin, $0.value.end) < ($1.value.begin, $1.value.end) }
        for i in sorted.indices.dropFirst() where sorted[i].value.begin < sorted[i - 1].value.end {
            throw fail("tensors '\(sorted[i - 1].key)' and '\(sorted[i].key)' overlap in the data region")
        }
        self.entries = entries
        self.metadata = meta
        self.base = m
        self.mappedLength = size
        self.dataStart = 8 + headerLen
        ok = true
    }

    deinit { if let base { munmap(base, mappedLength) } }

    static func integer(_ v: Any) -> Int? {
        if let n = v as? NSNumber {
            let d = n.doubleValue
            guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
            if String(cString: n.objCType) == "c" { return nil }   // JSON true/false bridge as char-typed NSNumber
            return n.intValue
        }
        return nil
    }

    /// The tensor `name` converted to Float32 (F32, F16, BF16, F64), copied out of the mapping.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw SafeTensorsError(file: url.path, problem: "no tensor named '\(name)'") }
        let t = Tensor(zeros: e.shape)
        let src = UnsafeRawPointer(base!) + dataStart + e.begin
        let n = t.count, dst = t.pointer
        switch e.dtype {
        case "F32": for i in 0..<n { dst[i] = Float(bitPattern: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
        case "F64": for i in 0..<n { dst[i] = Float(Double(bitPattern: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)) }
        case "BF16": for i in 0..<n { dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16) }
        case "F16": for i in 0..<n { dst[i] = Self.halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) }
        default:
            throw SafeTensorsError(file: url.path, problem: "tensor '\(name)': dtype \(e.dtype) is not a float type (F32, F16, BF16, F64)")
        }
        return t
    }

    /// IEEE 754 binary16 → binary32 (exact; handles subnormals, infinities and NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F), mant = UInt32(h & 0x3FF)
        if exp == 0 {
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }

    /// Writes `tensors` as F32 safetensors (names sorted, data contiguous, header padded to 8 bytes).
    public static func write(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        var header = "{"
        func quote(_ s: String) -> String {
            var o = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": o += "\\\""
                case "\\": o += "\\\\"
                default:
                    if u.value < 0x20 { o += String(format: "\\u%04x", u.value) } else { o.unicodeScalars.append(u) }
                }
            }
            return o + "\""
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append("\"__metadata__\":{" + metadata.keys.sorted().map { "\(quote($0)):\(quote(metadata[$0]!))" }.joined(separator: ",") + "}")
        }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            precondition(name != "__metadata__", "reserved tensor name")
            let t = tensors[name]!
            let bytes = t.count * 4
            parts.append("\(quote(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        var hbytes = Array(header.utf8)
        while hbytes.count % 8 != 0 { hbytes.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + hbytes.count + offset)
        withUnsafeBytes(of: UInt64(hbytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: hbytes)
        for name in names {
            let t = tensors[name]!
            for i in 0..<t.count { withUnsafeBytes(of: t.pointer[i].bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        }
        do { try out.write(to: url) } catch {
            throw SafeTensorsError(file: url.path, problem: "cannot write: \(error.localizedDescription)")
        }
    }
}
