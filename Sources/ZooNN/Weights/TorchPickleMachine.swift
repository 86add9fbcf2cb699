/// A restricted pickle virtual machine: enough of protocols 0–2 (plus the protocol-4 framing-free opcodes
/// that torch writes) to read PyTorch's legacy `state_dict` files, and nothing that can run code.
///
/// Port of the subset of CPython's `pickle._Unpickler` that `torch.serialization._legacy_load` exercises.
/// Globals are allow-listed (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
/// `torch._utils._rebuild_tensor`, `torch._utils._rebuild_parameter`, `torch.*Storage`); REDUCE only calls
/// those; persistent ids must be `('storage', torch.XStorage, key, location, numel, …)`. Every read is
/// bounds-checked and every malformed stream is a `TorchPickleError`, never a trap.
struct TorchPickleMachine {
    private let bytes: [UInt8]
    private(set) var position: Int
    private let file: String
    private var stack: [TorchPickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: TorchPickleValue] = [:]

    /// A machine reading one pickle from `bytes` starting at `position`.
    init(bytes: [UInt8], position: Int, file: String) {
        self.bytes = bytes; self.position = position; self.file = file
    }

    private func fail(_ message: String) -> TorchPickleError { TorchPickleError(file: file, message) }

    // MARK: reading primitives

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, position <= bytes.count - n else {
            throw fail("truncated pickle: need \(n) bytes at offset \(position), file has \(bytes.count)")
        }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    private mutating func u8() throws -> Int { Int(try take(1).first!) }

    private mutating func uint(_ n: Int) throws -> Int {
        var v = 0
        for (i, b) in try take(n).enumerated() { v |= Int(b) << (8 * i) }
        return v
    }

    private mutating func int32() throws -> Int { Int(Int32(truncatingIfNeeded: try uint(4))) }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw fail("unterminated text line at offset \(position)") }
        let s = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end + 1
        return s
    }

    private mutating func pop() throws -> TorchPickleValue {
        guard let v = stack.popLast() else { throw fail("pickle stack underflow at offset \(position)") }
        if let m = marks.last, stack.count < m { throw fail("pickle popped past a MARK at offset \(position)") }
        return v
    }

    private mutating func popMark() throws -> [TorchPickleValue] {
        guard let m = marks.popLast(), m <= stack.count else { throw fail("pickle MARK missing at offset \(position)") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    private mutating func top() throws -> TorchPickleValue {
        guard let v = stack.last else { throw fail("pickle stack empty at offset \(position)") }
        return v
    }

    private static func littleEndianSignedInteger(_ b: ArraySlice<UInt8>) -> Int? {
        guard b.count <= 8 else { return nil }
        if b.isEmpty { return 0 }
        var v: UInt64 = 0
        for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
        if b.count < 8, b.last! & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(b.count)) }   // sign-extend
        return Int(Int64(bitPattern: v))
    }

    // MARK: the loop

    /// Runs until STOP and returns the top of the stack.
    mutating func run() throws -> TorchPickleValue {
        while true {
            let at = position
            let op = try u8()
            switch op {
            case 0x80: // PROTO
                let v = try u8()
                guard v <= 5 else { throw fail("pickle protocol \(v) is not supported") }
            case 0x95: // FRAME (protocol 4): length prefix, contents follow inline
                _ = try take(8)
            case 0x2E: // STOP
                guard stack.count == 1, marks.isEmpty else { throw fail("pickle STOP with \(stack.count) values on the stack") }
                return stack[0]
            case 0x28: marks.append(stack.count)                      // MARK
            case 0x30: _ = try pop()                                  // POP
            case 0x31: _ = try popMark()                              // POP_MARK
            case 0x32: stack.append(try top())                        // DUP
            case 0x4E: stack.append(.none)                            // NONE
            case 0x88: stack.append(.bool(true))                      // NEWTRUE
            case 0x89: stack.append(.bool(false))                     // NEWFALSE
            case 0x4B: stack.append(.int(try u8()))                   // BININT1
            case 0x4D: stack.append(.int(try uint(2)))                // BININT2
            case 0x4A: stack.append(.int(try int32()))                // BININT
            case 0x8A, 0x8B: // LONG1, LONG4
                let n = op == 0x8A ? try u8() : try int32()
                guard n >= 0 else { throw fail("negative LONG4 length at offset \(at)") }
                let body = try take(n)
                // Values beyond 64 bits only occur in the legacy magic number, which the caller checks as bytes.
                stack.append(Self.littleEndianSignedInteger(body).map { .int($0) } ?? .bytes(Array(body)))
            case 0x49: // INT (text): also encodes True/False as 01/00 in protocol 0
                let s = try line()
                if s == "01" { stack.append(.bool(true)) } else if s == "00" { stack.append(.bool(false)) }
                else if let v = Int(s) { stack.append(.int(v)) } else { throw fail("bad INT \(s) at offset \(at)") }
            case 0x47: // BINFLOAT (big-endian double)
                var v: UInt64 = 0
                for b in try take(8) { v = v << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: v)))
            case 0x58, 0x8C, 0x8D: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                let n = op == 0x58 ? try uint(4) : op == 0x8C ? try u8() : try uint(8)
                stack.append(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x54, 0x55: // BINSTRING, SHORT_BINSTRING (python 2 str)
                let n = op == 0x54 ? try int32() : try u8()
                stack.append(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x42, 0x43: // BINBYTES, SHORT_BINBYTES
                let n = op == 0x42 ? try uint(4) : try u8()
                stack.append(.bytes(Array(try take(n))))
            case 0x29: stack.append(.tuple([]))                       // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark()))            // TUPLE
            case 0x85: let a = try pop(); stack.append(.tuple([a]))   // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))          // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c])) // TUPLE3
            case 0x5D: stack.append(.list(TorchPickleList()))         // EMPTY_LIST
            case 0x6C: let l = TorchPickleList(); l.items = try popMark(); stack.append(.list(l))  // LIST
            case 0x61, 0x65: // APPEND, APPENDS
                let items = op == 0x61 ? [try pop()] : try popMark()
                guard case .list(let l) = try top() else { throw fail("APPEND to a \(try top().kind) at offset \(at)") }
                l.items.append(contentsOf: items)
            case 0x7D: stack.append(.dict(TorchPickleDict()))         // EMPTY_DICT
            case 0x64: // DICT
                let items = try popMark()
                stack.append(.dict(try dict(pairs: items, at: at)))
            case 0x73, 0x75: // SETITEM, SETITEMS
                let items: [TorchPickleValue]
                if op == 0x73 { let v = try pop(), k = try pop(); items = [k, v] } else { items = try popMark() }
                guard case .dict(let d) = try top() else { throw fail("SETITEM on a \(try top().kind) at offset \(at)") }
                d.items.append(contentsOf: try dict(pairs: items, at: at).items)
            case 0x63: // GLOBAL module\nname\n
                let module = try line(), name = try line()
                stack.append(try global(module: module, name: name, at: at))
            case 0x93: // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw fail("STACK_GLOBAL needs two strings at offset \(at)")
                }
                stack.append(try global(module: module, name: name, at: at))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                stack.append(try reduce(callable, args, at: at))
            case 0x81: // NEWOBJ: cls.__new__(cls, *args) — only for allow-listed classes
                let args = try pop(), cls = try pop()
                stack.append(try reduce(cls, args, at: at))
            case 0x62: // BUILD: obj.__setstate__(state). Only an OrderedDict's `_metadata` attribute occurs; ignored.
                let state = try pop()
                guard case .dict = try top() else { throw fail("BUILD on a \(try top().kind) (state \(state.kind)) at offset \(at)") }
            case 0x51: // BINPERSID
                stack.append(try persistent(try pop(), at: at))
            case 0x71: memo[try u8()] = try top()                     // BINPUT
            case 0x72: memo[try uint(4)] = try top()                  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()                   // MEMOIZE
            case 0x70: // PUT (text)
                guard let k = Int(try line()) else { throw fail("bad PUT at offset \(at)") }
                memo[k] = try top()
            case 0x68, 0x6A, 0x67: // BINGET, LONG_BINGET, GET
                let k = op == 0x68 ? try u8() : op == 0x6A ? try uint(4) : (Int(try line()) ?? -1)
                guard let v = memo[k] else { throw fail("memo key \(k) unset at offset \(at)") }
                stack.append(v)
            default:
                throw fail(String(format: "pickle opcode 0x%02X at offset %d is not supported by the restricted unpickler", op, at))
            }
        }
    }

    private func dict(pairs items: [TorchPickleValue], at: Int) throws -> TorchPickleDict {
        guard items.count % 2 == 0 else { throw fail("odd number of dict items at offset \(at)") }
        let d = TorchPickleDict()
        for i in stride(from: 0, to: items.count, by: 2) { d.items.append((items[i], items[i + 1])) }
        return d
    }

    private static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter",
    ]

    private func global(module: String, name: String, at: Int) throws -> TorchPickleValue {
        let full = "\(module).\(name)"
        if Self.allowedGlobals.contains(full) { return .global(full) }
        if module == "torch", TorchStorageType(rawValue: name) != nil { return .global(full) }
        throw fail("global \(full) at offset \(at) is not allowed (only state_dict tensors can be read)")
    }

    private func reduce(_ callable: TorchPickleValue, _ args: TorchPickleValue, at: Int) throws -> TorchPickleValue {
        guard case .global(let name) = callable, case .tuple(let a) = args else {
            throw fail("REDUCE of \(callable.kind) with \(args.kind) at offset \(at) is not allowed")
        }
        switch name {
        case "collections.OrderedDict":
            guard a.isEmpty else { throw fail("OrderedDict with arguments at offset \(at)") }
            return .dict(TorchPickleDict())
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
            guard a.count >= 4, case .storage(let s) = a[0], case .int(let offset) = a[1],
                  let shape = Self.ints(a[2]), let strides = Self.ints(a[3]), shape.count == strides.count else {
                throw fail("malformed \(name) arguments at offset \(at)")
            }
            guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
                throw fail("negative offset, size or stride in tensor at offset \(at)")
            }
            guard shape.count <= WeightLimits.maxTensorRank, WeightLimits.elementCount(shape) != nil else {
                throw fail("tensor at offset \(at) has size \(shape), over the limits (rank \(WeightLimits.maxTensorRank), \(WeightLimits.maxTensorElements) elements)")
            }
            // Index of the last element, overflow-checked (a hostile stride must not trap).
            var last = offset, overflow = false
            for (d, st) in zip(shape, strides) where d > 0 {
                let (m, o1) = (d - 1).multipliedReportingOverflow(by: st)
                let (sum, o2) = last.addingReportingOverflow(m)
                overflow = overflow || o1 || o2
                last = sum
            }
            if shape.contains(0) { last = offset - 1 }
            guard !overflow, last < s.count else {
                throw fail("tensor at offset \(at) (size \(shape), stride \(strides), offset \(offset)) exceeds its storage of \(s.count) elements")
            }
            return .tensor(TorchTensorRef(storage: s, offset: offset, shape: shape, strides: strides))
        case "torch._utils._rebuild_parameter":
            guard let t = a.first, case .tensor = t else { throw fail("malformed _rebuild_parameter at offset \(at)") }
            return t
        default:
            throw fail("calling \(name) at offset \(at) is not allowed")
        }
    }

    private static func ints(_ v: TorchPickleValue) -> [Int]? {
        guard case .tuple(let items) = v else { return nil }
        var out: [Int] = []
        for i in items { guard case .int(let x) = i else { return nil }; out.append(x) }
        return out
    }

    private func persistent(_ pid: TorchPickleValue, at: Int) throws -> TorchPickleValue {
        guard case .tuple(let t) = pid, t.count >= 5, case .string("storage") = t[0],
              case .global(let g) = t[1], case .string(let key) = t[2], case .int(let count) = t[4], count >= 0,
              let type = TorchStorageType(rawValue: String(g.dropFirst("torch.".count))), g.hasPrefix("torch.") else {
            throw fail("persistent id at offset \(at) is not ('storage', torch.XStorage, key, location, numel)")
        }
        if t.count > 5, case .tuple = t[5] { throw fail("storage views (legacy view_metadata) at offset \(at) are not supported") }
        return .storage(TorchStorageRef(key: key, type: type, count: count))
    }
}
