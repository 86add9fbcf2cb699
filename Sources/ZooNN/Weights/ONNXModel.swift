import Foundation
import ZooTensor

/// Errors from reading ONNX files; each names the file or field and the problem.
public enum ONNXError: Error, CustomStringConvertible, Equatable {
    case unreadable(String)
    case malformed(String)
    case unsupported(String)
    case missing(String)
    case mismatch(String)

    public var description: String {
        switch self {
        case .unreadable(let s): return "ONNX: cannot read \(s)"
        case .malformed(let s): return "ONNX: malformed protobuf: \(s)"
        case .unsupported(let s): return "ONNX: unsupported: \(s)"
        case .missing(let s): return "ONNX: missing \(s)"
        case .mismatch(let s): return "ONNX: \(s)"
        }
    }
}

/// An attribute of a graph node (only the kinds detector/recogniser graphs use; tensors and graphs are skipped).
public enum ONNXAttribute: Equatable, Sendable {
    case int(Int64)
    case float(Float)
    case string(String)
    case ints([Int64])
    case floats([Float])
    case other
}

/// One `NodeProto`: an operator application.
public struct ONNXNode: Sendable {
    public var name: String
    public var opType: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]

    /// An integer-list attribute (e.g. `pads`, `strides`), or nil.
    public func ints(_ key: String) -> [Int]? {
        switch attributes[key] {
        case .ints(let v)?: return v.map { Int($0) }
        case .int(let v)?: return [Int(v)]
        default: return nil
        }
    }

    /// An integer attribute, or nil.
    public func int(_ key: String) -> Int? { if case .int(let v)? = attributes[key] { return Int(v) }; return nil }

    /// A string attribute, or nil.
    public func string(_ key: String) -> String? { if case .string(let v)? = attributes[key] { return v }; return nil }

    /// A float attribute, or nil.
    public func float(_ key: String) -> Float? { if case .float(let v)? = attributes[key] { return v }; return nil }
}

/// One `TensorProto` initializer: a named constant (weights, or shape constants).
public struct ONNXInitializer: Sendable {
    /// ONNX `TensorProto.DataType` codes we decode.
    public enum DataType: Int, Sendable { case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, float16 = 10, double = 11 }

    public var name: String
    public var dims: [Int]
    public var dataType: DataType
    /// Element values as Float (exact for float32/float16, int64 shape constants fit comfortably).
    public var floats: [Float]
    /// Element values as Int64 (for integer types; empty for float types).
    public var int64s: [Int64]

    public var count: Int { dims.reduce(1, *) }

    /// The float values as a tensor of shape `dims` (a scalar becomes shape `[]` with one element).
    public func tensor() -> Tensor { Tensor(shape: dims, data: floats) }
}

/// A parsed ONNX `ModelProto`: opset, graph nodes in file (topological) order, initializers by name, and the
/// graph's input/output names. Not an interpreter: models are written in Swift and take their weights from here.
public struct ONNXModel: Sendable {
    public var irVersion: Int64 = 0
    /// Default-domain opset version.
    public var opsetVersion: Int64 = 0
    public var producer: String = ""
    public var nodes: [ONNXNode] = []
    public var initializers: [String: ONNXInitializer] = [:]
    /// Initializer names in file order.
    public var initializerOrder: [String] = []
    /// Graph inputs that are not initializers, and graph outputs.
    public var inputs: [String] = []
    public var outputs: [String] = []

    /// Reads and parses an `.onnx` file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw ONNXError.unreadable("\(url.path): \(error.localizedDescription)")
        }
        do { try self.init(data: data) } catch let e as ONNXError {
            throw ONNXError.malformed("\(url.lastPathComponent): \(e.description)")
        }
    }

    /// Parses a serialized `ModelProto`.
    public init(data: Data) throws {
        guard !data.isEmpty else { throw ONNXError.malformed("empty file") }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var r = ONNXWireReader(bytes: raw, context: "ModelProto")
            var sawGraph = false
            while !r.isAtEnd {
                let (field, wire) = try r.readKey()
                switch (field, wire) {
                case (1, .varint): irVersion = Int64(bitPattern: try r.readVarint())
                case (2, .lengthDelimited): producer = try r.readString()
                case (8, .lengthDelimited):
                    var m = try r.readMessage("OperatorSetIdProto")
                    var domain = "", version: Int64 = 0
                    while !m.isAtEnd {
                        let (f, w) = try m.readKey()
                        if f == 1, w == .lengthDelimited { domain = try m.readString() }
                        else if f == 2, w == .varint { version = Int64(bitPattern: try m.readVarint()) }
                        else { try m.skip(w) }
                    }
                    if domain.isEmpty || domain == "ai.onnx" { opsetVersion = version }
                case (7, .lengthDelimited):
                    var g = try r.readMessage("GraphProto")
                    try parseGraph(&g)
                    sawGraph = true
                default: try r.skip(wire)
                }
            }
            guard sawGraph else { throw ONNXError.missing("graph in ModelProto") }
        }
        let inits = Set(initializerOrder)
        inputs = inputs.filter { !inits.contains($0) }
    }

    private mutating func parseGraph(_ g: inout ONNXWireReader) throws {
        while !g.isAtEnd {
            let (field, wire) = try g.readKey()
            switch (field, wire) {
            case (1, .lengthDelimited):
                var n = try g.readMessage("NodeProto #\(nodes.count)")
                nodes.append(try Self.parseNode(&n))
            case (5, .lengthDelimited):
                var t = try g.readMessage("TensorProto #\(initializerOrder.count)")
                let tensor = try Self.parseTensor(&t)
                guard initializers[tensor.name] == nil else { throw ONNXError.malformed("duplicate initializer '\(tensor.name)'") }
                initializers[tensor.name] = tensor
                initializerOrder.append(tensor.name)
            case (11, .lengthDelimited), (12, .lengthDelimited):
                var v = try g.readMessage("ValueInfoProto")
                var name = ""
                while !v.isAtEnd {
                    let (f, w) = try v.readKey()
                    if f == 1, w == .lengthDelimited { name = try v.readString() } else { try v.skip(w) }
                }
                if field == 11 { inputs.append(name) } else { outputs.append(name) }
            case (15, .lengthDelimited): throw ONNXError.unsupported("sparse initializers")
            default: try g.skip(wire)
            }
        }
    }

    private static func parseNode(_ n: inout ONNXWireReader) throws -> ONNXNode {
        var node = ONNXNode(name: "", opType: "", inputs: [], outputs: [], attributes: [:])
        while !n.isAtEnd {
            let (field, wire) = try n.readKey()
            switch (field, wire) {
            case (1, .lengthDelimited): node.inputs.append(try n.readString())
            case (2, .lengthDelimited): node.outputs.append(try n.readString())
            case (3, .lengthDelimited): node.name = try n.readString()
            case (4, .lengthDelimited): node.opType = try n.readString()
            case (5, .lengthDelimited):
                var a = try n.readMessage("AttributeProto of \(node.opType)")
                let (name, value) = try parseAttribute(&a)
                node.attributes[name] = value
            case (7, .lengthDelimited):
                let domain = try n.readString()
                guard domain.isEmpty || domain == "ai.onnx" else { throw ONNXError.unsupported("operator domain '\(domain)'") }
            default: try n.skip(wire)
            }
        }
        guard !node.opType.isEmpty else { throw n.fail("node without op_type") }
        return node
    }

    private static func parseAttribute(_ a: inout ONNXWireReader) throws -> (String, ONNXAttribute) {
        var name = "", type = 0
        var i: Int64?, f: Float?, s: String?
        var ints: [Int64] = [], floats: [Float] = []
        while !a.isAtEnd {
            let (field, wire) = try a.readKey()
            switch (field, wire) {
            case (1, .lengthDelimited): name = try a.readString()
            case (2, .fixed32): f = Float(bitPattern: try a.readFixed32())
            case (3, .varint): i = Int64(bitPattern: try a.readVarint())
            case (4, .lengthDelimited): s = try a.readString()
            case (7, _): try a.readFloats(wire, into: &floats)
            case (8, _): try a.readVarints(wire, into: &ints)
            case (20, .varint): type = Int(try a.readVarint())
            default: try a.skip(wire)
            }
        }
        // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7.
        switch type {
        case 1: return (name, .float(f ?? 0))
        case 2: return (name, .int(i ?? 0))
        case 3: return (name, .string(s ?? ""))
        case 6: return (name, .floats(floats))
        case 7: return (name, .ints(ints))
        case 0:  // very old files without `type`: infer from what is present
            if let i { return (name, .int(i)) }
            if let f { return (name, .float(f)) }
            if let s { return (name, .string(s)) }
            if !ints.isEmpty { return (name, .ints(ints)) }
            if !floats.isEmpty { return (name, .floats(floats)) }
            return (name, .other)
        default: return (name, .other)
        }
    }

    private static func parseTensor(_ t: inout ONNXWireReader) throws -> ONNXInitializer {
        var dims: [Int64] = [], typeCode = 0, name = ""
        var raw: Range<Int>?
        var floatData: [Float] = [], int64Data: [Int64] = [], int32Data: [Int64] = [], doubleData: [Double] = []
        var external = false
        while !t.isAtEnd {
            let (field, wire) = try t.readKey()
            switch (field, wire) {
            case (1, _): try t.readVarints(wire, into: &dims)
            case (2, .varint): typeCode = Int(try t.readVarint())
            case (4, _): try t.readFloats(wire, into: &floatData)
            case (5, _): try t.readVarints(wire, into: &int32Data)
            case (7, _): try t.readVarints(wire, into: &int64Data)
            case (8, .lengthDelimited): name = try t.readString()
            case (9, .lengthDelimited): raw = try t.readLengthDelimited()
            case (10, _): try t.readDoubles(wire, into: &doubleData)
            case (13, .lengthDelimited): external = true; try t.skip(wire)
            case (14, .varint): if try t.readVarint() == 1 { external = true }
            default: try t.skip(wire)
            }
        }
        guard !external else { throw ONNXError.unsupported("initializer '\(name)' stores its data in an external file") }
        guard let dataType = ONNXInitializer.DataType(rawValue: typeCode) else {
            throw ONNXError.unsupported("initializer '\(name)' has data type \(typeCode)")
        }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw ONNXError.malformed("initializer '\(name)' has negative dims \(dims)") }
        let shape = dims.map { Int($0) }
        let count = shape.reduce(1, *)
        var out = ONNXInitializer(name: name, dims: shape, dataType: dataType, floats: [], int64s: [])
        if let raw {
            let bytes = UnsafeRawBufferPointer(rebasing: t.bytes[raw])
            let width: Int
            switch dataType {
            case .float, .int32: width = 4
            case .int64, .double: width = 8
            case .float16: width = 2
            case .uint8, .int8: width = 1
            }
            guard bytes.count == count * width else {
                throw ONNXError.malformed("initializer '\(name)' \(shape) needs \(count * width) raw bytes, has \(bytes.count)")
            }
            switch dataType {
            case .float:
                out.floats = (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            case .float16:
                out.floats = (0..<count).map { halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
            case .double:
                out.floats = (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
            case .int64:
                out.int64s = (0..<count).map { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .int32:
                out.int64s = (0..<count).map { Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
            case .uint8: out.int64s = (0..<count).map { Int64(bytes[$0]) }
            case .int8: out.int64s = (0..<count).map { Int64(Int8(bitPattern: bytes[$0])) }
            }
        } else {
            switch dataType {
            case .float: out.floats = floatData
            case .double: out.floats = doubleData.map { Float($0) }
            case .int64: out.int64s = int64Data
            case .int32, .uint8, .int8: out.int64s = int32Data
            case .float16: out.floats = int32Data.map { halfToFloat(UInt16(truncatingIfNeeded: $0)) }
            }
            let n = out.floats.count + out.int64s.count
            guard n == count else { throw ONNXError.malformed("initializer '\(name)' \(shape) needs \(count) values, has \(n)") }
        }
        if out.floats.isEmpty && !out.int64s.isEmpty { out.floats = out.int64s.map { Float($0) } }
        return out
    }

    /// The initializer called `name`, or an error naming it.
    public func initializer(_ name: String) throws -> ONNXInitializer {
        guard let t = initializers[name] else { throw ONNXError.missing("initializer '\(name)'") }
        return t
    }
}

/// IEEE 754 binary16 → Float (portable: `Float16` is unavailable on Intel macOS).
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exp = Int((h >> 10) & 0x1F), frac = UInt32(h & 0x3FF)
    if exp == 0 {
        let v = Float(frac) * Float(sign: .plus, exponent: -24, significand: 1)   // subnormal or zero
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
    return Float(bitPattern: sign | (UInt32(exp - 15 + 127) << 23) | (frac << 13))
}
