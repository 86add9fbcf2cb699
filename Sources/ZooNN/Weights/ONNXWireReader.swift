import Foundation

/// A strict reader of the protobuf wire format (varint, 64-bit, length-delimited, 32-bit fields), just enough
/// to walk an ONNX `ModelProto`. It never trusts a length: every read is bounds-checked and throws
/// `ONNXError.malformed` naming the message being read.
struct ONNXWireReader {
    /// Wire types of the protobuf encoding.
    enum WireType: Int { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    let end: Int
    /// What is being read, for error messages (e.g. "GraphProto").
    let context: String

    init(bytes: UnsafeRawBufferPointer, start: Int = 0, end: Int? = nil, context: String) {
        self.bytes = bytes; self.offset = start; self.end = end ?? bytes.count; self.context = context
    }

    var isAtEnd: Bool { offset >= end }

    func fail(_ what: String) -> ONNXError { .malformed("\(context) at byte \(offset): \(what)") }

    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard offset < end else { throw fail("truncated varint") }
            let b = bytes[offset]; offset += 1
            guard shift < 64 else { throw fail("varint longer than 10 bytes") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a field key: (field number, wire type).
    mutating func readKey() throws -> (field: Int, wire: WireType) {
        let key = try readVarint()
        guard let wire = WireType(rawValue: Int(key & 7)) else { throw fail("unsupported wire type \(key & 7)") }
        let field = Int(key >> 3)
        guard field > 0 else { throw fail("field number 0") }
        return (field, wire)
    }

    mutating func readFixed32() throws -> UInt32 {
        guard end - offset >= 4 else { throw fail("truncated fixed32") }
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self); offset += 4
        return UInt32(littleEndian: v)
    }

    mutating func readFixed64() throws -> UInt64 {
        guard end - offset >= 8 else { throw fail("truncated fixed64") }
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self); offset += 8
        return UInt64(littleEndian: v)
    }

    /// Reads a length prefix and returns the byte range of the payload, advancing past it.
    mutating func readLengthDelimited() throws -> Range<Int> {
        let n = try readVarint()
        guard n <= UInt64(end - offset) else { throw fail("length \(n) runs past the end (\(end - offset) bytes left)") }
        let r = offset..<(offset + Int(n)); offset += Int(n)
        return r
    }

    mutating func readString() throws -> String {
        let r = try readLengthDelimited()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    /// A reader over a nested message's payload.
    mutating func readMessage(_ name: String) throws -> ONNXWireReader {
        let r = try readLengthDelimited()
        return ONNXWireReader(bytes: bytes, start: r.lowerBound, end: r.upperBound, context: name)
    }

    /// Reads a repeated varint field, packed (length-delimited) or one element (varint).
    mutating func readVarints(_ wire: WireType, into out: inout [Int64]) throws {
        switch wire {
        case .varint: out.append(Int64(bitPattern: try readVarint()))
        case .lengthDelimited:
            var sub = try readMessage(context)
            while !sub.isAtEnd { out.append(Int64(bitPattern: try sub.readVarint())) }
        default: throw fail("integer field with wire type \(wire)")
        }
    }

    /// Reads a repeated float field, packed or one element.
    mutating func readFloats(_ wire: WireType, into out: inout [Float]) throws {
        switch wire {
        case .fixed32: out.append(Float(bitPattern: try readFixed32()))
        case .lengthDelimited:
            let r = try readLengthDelimited()
            guard r.count % 4 == 0 else { throw fail("packed floats of \(r.count) bytes") }
            for i in stride(from: r.lowerBound, to: r.upperBound, by: 4) {
                out.append(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self))))
            }
        default: throw fail("float field with wire type \(wire)")
        }
    }

    /// Reads a repeated double field, packed or one element.
    mutating func readDoubles(_ wire: WireType, into out: inout [Double]) throws {
        switch wire {
        case .fixed64: out.append(Double(bitPattern: try readFixed64()))
        case .lengthDelimited:
            let r = try readLengthDelimited()
            guard r.count % 8 == 0 else { throw fail("packed doubles of \(r.count) bytes") }
            for i in stride(from: r.lowerBound, to: r.upperBound, by: 8) {
                out.append(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))))
            }
        default: throw fail("double field with wire type \(wire)")
        }
    }

    /// Skips a field we do not need.
    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        }
    }
}
