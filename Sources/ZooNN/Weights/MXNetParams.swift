import Foundation
import ZooTensor

/// Errors from reading MXNet files; each names the file or key and the problem.
public enum MXNetError: Error, CustomStringConvertible, Equatable {
    case unreadable(String)
    case malformed(String)
    case unsupported(String)
    case missing(String)
    case mismatch(String)

    public var description: String {
        switch self {
        case .unreadable(let s): return "MXNet: cannot read \(s)"
        case .malformed(let s): return "MXNet: malformed: \(s)"
        case .unsupported(let s): return "MXNet: unsupported: \(s)"
        case .missing(let s): return "MXNet: missing \(s)"
        case .mismatch(let s): return "MXNet: \(s)"
        }
    }
}

/// Reader of MXNet's NDArray-list `.params` files (`mx.nd.save` / `model.save_checkpoint`).
///
/// Layout (little-endian): `u64 0x112` magic, `u64` reserved, `u64 n`, then n NDArrays, then `u64 m` and m names
/// (`u64 length` + UTF-8 bytes) such as `arg:conv_1_conv2d_weight` / `aux:conv_1_batchnorm_moving_mean`.
/// Each NDArray: `u32 0xF993FAC9` (v2: then `i32` storage type, 0 = dense) or `0xF993FAC8` (v1), shape as
/// `u32 ndim` + `i64` dims (legacy files: the first `u32` is ndim itself and dims are `u32`), `i32 dev_type,
/// i32 dev_id`, `i32 type_flag` (0 float32, 1 float64, 2 float16, 3 uint8, 4 int32, 5 int8, 6 int64), then the data.
/// The `arg:`/`aux:` prefixes are dropped from names.
public struct MXNetParams {
    /// Arrays by name (prefix removed), converted to Float32.
    public private(set) var arrays: [String: Tensor] = [:]
    /// Names in file order (prefix removed).
    public private(set) var names: [String] = []
    private var used: Set<String> = []

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw MXNetError.unreadable("\(url.path): \(error.localizedDescription)")
        }
        do { try self.init(data: data) } catch let e as MXNetError {
            throw MXNetError.malformed("\(url.lastPathComponent): \(e.description)")
        }
    }

    public init(data: Data) throws {
        var tensors: [Tensor] = []
        var rawNames: [String] = []
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var r = Cursor(bytes: raw)
            let magic = try r.u64("list magic")
            guard magic == 0x112 else { throw MXNetError.malformed("list magic 0x\(String(magic, radix: 16)), expected 0x112") }
            _ = try r.u64("reserved")
            let n = try r.u64("array count")
            guard n < 1_000_000 else { throw MXNetError.malformed("implausible array count \(n)") }
            for i in 0..<Int(n) { tensors.append(try Self.readArray(&r, index: i)) }
            let m = try r.u64("name count")
            guard m == n else { throw MXNetError.malformed("\(n) arrays but \(m) names") }
            for i in 0..<Int(m) {
                let len = try r.u64("length of name #\(i)")
                let bytes = try r.take(Int(clamping: len), "name #\(i)")
                rawNames.append(String(decoding: bytes, as: UTF8.self))
            }
            guard r.offset == raw.count else { throw MXNetError.malformed("\(raw.count - r.offset) trailing bytes") }
        }
        for (name, t) in zip(rawNames, tensors) {
            var key = name
            if key.hasPrefix("arg:") || key.hasPrefix("aux:") { key.removeFirst(4) }
            guard arrays[key] == nil else { throw MXNetError.malformed("duplicate array '\(key)'") }
            arrays[key] = t
            names.append(key)
        }
    }

    private static func readArray(_ r: inout Cursor, index: Int) throws -> Tensor {
        let what = "array #\(index)"
        let first = try r.u32("\(what) magic")
        var dims: [Int] = []
        if first == 0xF993_FAC9 || first == 0xF993_FAC8 {
            if first == 0xF993_FAC9 {
                let stype = try r.i32("\(what) storage type")
                guard stype == 0 else { throw MXNetError.unsupported("\(what): sparse storage type \(stype)") }
            }
            let ndim = try r.u32("\(what) ndim")
            guard ndim <= 8 else { throw MXNetError.malformed("\(what): ndim \(ndim)") }
            for _ in 0..<ndim {
                let d = try r.i64("\(what) dim")
                guard d >= 0 && d < 1 << 31 else { throw MXNetError.malformed("\(what): dimension \(d)") }
                dims.append(Int(d))
            }
        } else {
            guard first <= 8 else { throw MXNetError.malformed("\(what): unknown magic 0x\(String(first, radix: 16))") }
            for _ in 0..<first { dims.append(Int(try r.u32("\(what) dim"))) }
        }
        if dims.isEmpty { return Tensor(zeros: [0]) }   // MXNet writes nothing more for an empty shape
        _ = try r.i32("\(what) dev_type"); _ = try r.i32("\(what) dev_id")
        let typeFlag = try r.i32("\(what) type flag")
        // Checked before allocating: the shape must fit the limits and the bytes left in the file (≥ 2 per value).
        guard let count = WeightLimits.elementCount(dims), count <= (r.bytes.count - r.offset) / 2 else {
            throw MXNetError.malformed("\(what): shape \(dims) needs more data than the \(r.bytes.count - r.offset) bytes left in the file")
        }
        let t = Tensor(zeros: dims)
        let p = t.pointer
        switch typeFlag {
        case 0:
            let b = try r.take(count * 4, "\(what) float32 data")
            for i in 0..<count { p[i] = Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
        case 1:
            let b = try r.take(count * 8, "\(what) float64 data")
            for i in 0..<count { p[i] = Float(Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
        case 2:
            let b = try r.take(count * 2, "\(what) float16 data")
            for i in 0..<count { p[i] = halfToFloat(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
        default:
            throw MXNetError.unsupported("\(what): type flag \(typeFlag) (only float32/64/16 weights)")
        }
        if let problem = WeightLimits.nonFiniteProblem(t) { throw MXNetError.unsupported("\(what): \(problem)") }
        return t
    }

    /// The array called `name` with the expected shape, marking it used; errors name the key.
    public mutating func take(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = arrays[name] else { throw MXNetError.missing("parameter '\(name)'") }
        guard t.shape == shape else { throw MXNetError.mismatch("parameter '\(name)' has shape \(t.shape), expected \(shape)") }
        guard !used.contains(name) else { throw MXNetError.mismatch("parameter '\(name)' used twice") }
        used.insert(name)
        return t
    }

    /// Names never taken (after loading a model this must be empty for a strict import).
    public var unused: [String] { names.filter { !used.contains($0) } }

    /// Throws if any parameter was not used.
    public func checkAllUsed() throws {
        let u = unused
        guard u.isEmpty else { throw MXNetError.mismatch("\(u.count) unused parameters: \(u.prefix(5).joined(separator: ", "))") }
    }

    /// Bounds-checked little-endian cursor.
    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        mutating func take(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
            guard n >= 0, bytes.count - offset >= n else {
                throw MXNetError.malformed("\(what): needs \(n) bytes at offset \(offset), file has \(bytes.count)")
            }
            defer { offset += n }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        }
        mutating func u64(_ w: String) throws -> UInt64 { UInt64(littleEndian: try take(8, w).loadUnaligned(as: UInt64.self)) }
        mutating func u32(_ w: String) throws -> UInt32 { UInt32(littleEndian: try take(4, w).loadUnaligned(as: UInt32.self)) }
        mutating func i32(_ w: String) throws -> Int32 { Int32(littleEndian: try take(4, w).loadUnaligned(as: Int32.self)) }
        mutating func i64(_ w: String) throws -> Int64 { Int64(littleEndian: try take(8, w).loadUnaligned(as: Int64.self)) }
    }
}
