import Foundation
import ZooTensor

/// Reads PyTorch `state_dict` files with no Python: the zip format `torch.save` writes by default (torch ≥ 1.6,
/// e.g. torchvision's newer checkpoints; see `loadZipStateDict`) and the legacy format
/// (`_use_new_zipfile_serialization=False`, facenet-pytorch's `data/{pnet,rnet,onet}.pt`, torchvision's 2019 files).
///
/// The legacy format (port of `torch.serialization._legacy_load`) is five pickles and a raw section:
/// 1. magic number `0x1950a86a20f9469cfc6c` (a LONG1), 2. protocol version `1001`, 3. `sys_info`
/// (`little_endian`, type sizes), 4. the object, whose tensors are `_rebuild_tensor_v2(storage, offset, size,
/// stride, …)` calls on storages referenced by persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`,
/// 5. the list of storage keys in file order; then, for each key, an int64 element count followed by the
/// little-endian elements. Unpickling is restricted (`TorchPickleMachine`): no arbitrary globals, no code.
public enum TorchPickle {
    /// The legacy format's magic number as the LONG1 payload bytes (little-endian).
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// Loads every tensor of a legacy `.pt` file whose top object is a (possibly nested) dict of tensors.
    public static func loadStateDict(contentsOf url: URL) throws -> TorchStateDict {
        switch WeightFileReader.read(url) {
        case .failure(let p): throw TorchPickleError(file: url.path, p.message)
        case .success(let data): return try loadStateDict(bytes: [UInt8](data), file: url.path)
        }
    }

    /// Loads a `.pt`/`.pth` (zip or legacy format) from memory; `file` labels error messages.
    public static func loadStateDict(bytes: [UInt8], file: String) throws -> TorchStateDict {
        if TorchZipArchive.looksLikeZip(bytes) { return try loadZipStateDict(bytes: bytes, file: file) }
        var pos = 0
        func next() throws -> TorchPickleValue {
            var m = TorchPickleMachine(bytes: bytes, position: pos, file: file)
            let v = try m.run()
            pos = m.position
            return v
        }
        guard case .bytes(let magic) = try next(), magic == Self.magic else {
            throw TorchPickleError(file: file, "not a legacy torch file (magic number missing)")
        }
        guard case .int(let proto) = try next(), proto == 1001 else {
            throw TorchPickleError(file: file, "unsupported torch serialization protocol version (expected 1001)")
        }
        guard case .dict(let sysInfo) = try next() else { throw TorchPickleError(file: file, "sys_info is not a dict") }
        for (k, v) in sysInfo.items {
            if case .string("little_endian") = k, case .bool(false) = v {
                throw TorchPickleError(file: file, "big-endian torch files are not supported")
            }
        }
        let object = try next()
        guard case .list(let keyList) = try next() else { throw TorchPickleError(file: file, "storage key list missing") }

        // The raw storages section: per key, int64 count then count * elementSize bytes.
        var storages: [String: (offset: Int, count: Int)] = [:]
        let types = storageTypes(in: object)
        for item in keyList.items {
            guard case .string(let key) = item else { throw TorchPickleError(file: file, "storage key is a \(item.kind), not a string") }
            guard pos <= bytes.count - 8 else { throw TorchPickleError(file: file, "truncated storage section at storage \(key)") }
            var n: UInt64 = 0
            for i in 0..<8 { n |= UInt64(bytes[pos + i]) << (8 * UInt64(i)) }
            pos += 8
            storages[key] = (pos, Int(clamping: n))
            // The element size is known only from the storage type named in the pickle.
            guard let size = types[key]?.elementSize else {
                throw TorchPickleError(file: file, "storage \(key) is not referenced by any tensor (its element size is unknown)")
            }
            guard n <= UInt64(bytes.count - pos) / UInt64(size) else {
                throw TorchPickleError(file: file, "storage \(key) declares \(n) elements but the file ends first")
            }
            pos += Int(n) * size
        }

        return try stateDict(object, storages: storages, bytes: bytes, file: file)
    }

    /// Loads the zip format `torch.save` writes by default since torch 1.6 (port of `torch.serialization._load`):
    /// `<archive>/data.pkl` holds the object, whose persistent ids name storages stored as
    /// `<archive>/data/<key>` (raw little-endian elements); `<archive>/byteorder`, when present, must be `little`.
    static func loadZipStateDict(bytes: [UInt8], file: String) throws -> TorchStateDict {
        let zip = try TorchZipArchive(bytes: bytes, file: file)
        let pickles = zip.entries.filter { $0.name.hasSuffix("/data.pkl") && $0.name.dropLast("/data.pkl".count).firstIndex(of: "/") == nil }
        guard pickles.count == 1, let pickle = pickles.first else {
            throw TorchPickleError(file: file, pickles.isEmpty ? "zip archive has no <archive>/data.pkl: not a torch.save file"
                                                               : "zip archive has \(pickles.count) data.pkl entries")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = zip.entry(prefix + "byteorder") {
            let text = String(decoding: bytes[order.dataOffset..<(order.dataOffset + order.size)], as: UTF8.self)
            guard text == "little" else { throw TorchPickleError(file: file, "byteorder is '\(text.prefix(16))': only little-endian torch files are supported") }
        }
        var machine = TorchPickleMachine(bytes: Array(bytes[pickle.dataOffset..<(pickle.dataOffset + pickle.size)]),
                                         position: 0, file: "\(file) (\(pickle.name))")
        let object = try machine.run()
        var storages: [String: (offset: Int, count: Int)] = [:]
        for (key, type) in storageTypes(in: object) {
            guard let e = zip.entry(prefix + "data/" + key) else {
                throw TorchPickleError(file: file, "storage \(key) is named in data.pkl but \(prefix)data/\(key) is not in the archive")
            }
            guard e.size % type.elementSize == 0 else {
                throw TorchPickleError(file: file, "storage \(key) (\(type.rawValue)) has \(e.size) bytes, not a multiple of \(type.elementSize)")
            }
            storages[key] = (e.dataOffset, e.size / type.elementSize)
        }
        return try stateDict(object, storages: storages, bytes: bytes, file: file)
    }

    /// Every tensor of `object` (a possibly nested dict; nested keys joined with "."), materialised.
    private static func stateDict(_ object: TorchPickleValue, storages: [String: (offset: Int, count: Int)],
                                  bytes: [UInt8], file: String) throws -> TorchStateDict {
        var result = TorchStateDict(file: file)
        var parameters = 0
        func collect(_ v: TorchPickleValue, prefix: String) throws {
            guard case .dict(let d) = v else { return }
            for (k, value) in d.items {
                guard case .string(let name) = k else { continue }
                let full = prefix.isEmpty ? name : "\(prefix).\(name)"
                switch value {
                case .tensor(let t):
                    guard let n = WeightLimits.elementCount(t.shape) else {
                        throw TorchPickleError(file: file, "\(full): shape \(t.shape) is over the \(WeightLimits.maxTensorElements)-element limit")
                    }
                    parameters += n
                    guard parameters <= WeightLimits.maxParameters else {
                        throw TorchPickleError(file: file, "\(full): the file holds more than \(WeightLimits.maxParameters) parameters")
                    }
                    result.append(full, try materialize(t, storages: storages, bytes: bytes, file: file, name: full))
                case .dict: try collect(value, prefix: full)
                default: continue
                }
            }
        }
        guard case .dict = object else { throw TorchPickleError(file: file, "top-level object is a \(object.kind), not a state_dict") }
        try collect(object, prefix: "")
        return result
    }

    /// Storage type per key, gathered from every tensor in the object.
    private static func storageTypes(in object: TorchPickleValue) -> [String: TorchStorageType] {
        var out: [String: TorchStorageType] = [:]
        func walk(_ v: TorchPickleValue) {
            switch v {
            case .tensor(let t): out[t.storage.key] = t.storage.type
            case .storage(let s): out[s.key] = s.type
            case .dict(let d): for (_, x) in d.items { walk(x) }
            case .list(let l): l.items.forEach(walk)
            case .tuple(let t): t.forEach(walk)
            default: break
            }
        }
        walk(object)
        return out
    }

    /// Copies a strided view out of the storages section into a contiguous Float32 tensor.
    private static func materialize(_ t: TorchTensorRef, storages: [String: (offset: Int, count: Int)],
                                    bytes: [UInt8], file: String, name: String) throws -> Tensor {
        guard let s = storages[t.storage.key] else { throw TorchPickleError(file: file, "\(name): storage \(t.storage.key) is not in the file") }
        guard s.count == t.storage.count else {
            throw TorchPickleError(file: file, "\(name): storage \(t.storage.key) has \(s.count) elements, the pickle says \(t.storage.count)")
        }
        let out = Tensor(zeros: t.shape)
        let n = out.count
        guard n > 0 else { return out }
        let type = t.storage.type
        let esize = type.elementSize
        let dst = out.pointer
        var index = [Int](repeating: 0, count: t.shape.count)
        var contiguous = true, expected = 1
        for d in stride(from: t.shape.count - 1, through: 0, by: -1) where t.shape[d] != 1 {
            if t.strides[d] != expected { contiguous = false }
            expected *= t.shape[d]
        }
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + s.offset
            if contiguous, type == .float {   // the common case: one copy (little-endian hosts only are supported)
                memcpy(dst, base + t.offset * 4, n * 4)
                return
            }
            for i in 0..<n {
                var e = t.offset
                for d in 0..<index.count { e += index[d] * t.strides[d] }
                dst[i] = Self.element(base + e * esize, type)
                // Advance the multi-index (last dimension fastest).
                var d = index.count - 1
                while d >= 0 { index[d] += 1; if index[d] < t.shape[d] { break }; index[d] = 0; d -= 1 }
            }
        }
        if let problem = WeightLimits.nonFiniteProblem(out) { throw TorchPickleError(file: file, "\(name): \(problem)") }
        return out
    }

    private static func element(_ p: UnsafeRawPointer, _ type: TorchStorageType) -> Float {
        switch type {
        case .float: return Float(bitPattern: p.loadUnaligned(as: UInt32.self).littleEndian)
        case .double: return Float(Double(bitPattern: p.loadUnaligned(as: UInt64.self).littleEndian))
        case .half: return Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self).littleEndian))
        case .bfloat16: return Float(bitPattern: UInt32(p.loadUnaligned(as: UInt16.self).littleEndian) << 16)
        case .long: return Float(p.loadUnaligned(as: Int64.self).littleEndian)
        case .int: return Float(p.loadUnaligned(as: Int32.self).littleEndian)
        case .short: return Float(p.loadUnaligned(as: Int16.self).littleEndian)
        case .char: return Float(p.loadUnaligned(as: Int8.self))
        case .byte, .bool: return Float(p.loadUnaligned(as: UInt8.self))
        }
    }
}

/// Named tensors read from a torch file, in file order, with strict access for model loaders.
public struct TorchStateDict {
    /// The file the tensors came from (for error messages).
    public let file: String
    /// Tensor names in file order.
    public private(set) var names: [String] = []
    private var tensors: [String: Tensor] = [:]

    public init(file: String) { self.file = file }

    /// Tensors already in memory (e.g. a module's keys taken out of a safetensors checkpoint), in the given order;
    /// a repeated name keeps its last tensor.
    public init(file: String, tensors: [(name: String, tensor: Tensor)]) {
        self.file = file
        for (n, t) in tensors { append(n, t) }
    }

    mutating func append(_ name: String, _ t: Tensor) {
        if tensors[name] == nil { names.append(name) }
        tensors[name] = t
    }

    /// The tensor `name`, which must have `shape` (when given); otherwise an error naming file, key and shapes.
    public func tensor(_ name: String, shape: [Int]? = nil) throws -> Tensor {
        guard let t = tensors[name] else { throw TorchPickleError(file: file, "missing tensor \(name)") }
        if let shape, t.shape != shape {
            throw TorchPickleError(file: file, "tensor \(name) has shape \(t.shape), expected \(shape)")
        }
        return t
    }

    /// Throws if any tensor is not in `used` (strict loading: an unused key means the wrong file or model).
    public func checkAllUsed(_ used: Set<String>) throws {
        let unused = names.filter { !used.contains($0) }
        if !unused.isEmpty { throw TorchPickleError(file: file, "unused tensors: \(unused.joined(separator: ", "))") }
    }
}
