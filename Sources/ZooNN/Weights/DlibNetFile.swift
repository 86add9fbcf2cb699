import Foundation
import ZooTensor

/// A problem reading a dlib serialized network: names the file, the byte offset and what was expected.
public struct DlibFormatError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var message: String
    public init(file: String, _ message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}

/// One layer of a dlib DNN as serialized (`details` of an `add_layer`), input side first.
public enum DlibLayer {
    /// `input_rgb_image_sized<NR, NC>`: value = (pixel − avg[c]) / 256, channels R, G, B.
    case inputRGB(average: [Float], rows: Int, columns: Int)
    /// `con_`: `weight [filters, k, nr, nc]`, `bias [filters]` (nil without bias), stride and padding.
    case conv(weight: Tensor, bias: Tensor?, stride: (y: Int, x: Int), padding: (y: Int, x: Int))
    /// `affine_` (inference batch norm): per channel (conv mode) or per element (fc mode) `gamma·x + beta`.
    case affine(gamma: Tensor, beta: Tensor, convMode: Bool)
    case relu
    /// `max_pool_` / `avg_pool_`: window (0 = the whole input), stride, padding.
    case maxPool(window: (y: Int, x: Int), stride: (y: Int, x: Int), padding: (y: Int, x: Int))
    case avgPool(window: (y: Int, x: Int), stride: (y: Int, x: Int), padding: (y: Int, x: Int))
    /// `add_prev_`: adds a tagged earlier output (which one is in the network type, not in the file).
    case addPrev
    /// `fc_`: `weight [inputs, outputs]` as dlib stores it, optional bias.
    case fc(weight: Tensor, bias: Tensor?, inputs: Int, outputs: Int)

    public var name: String {
        switch self {
        case .inputRGB: return "input_rgb_image_sized"
        case .conv: return "con"
        case .affine: return "affine"
        case .relu: return "relu"
        case .maxPool: return "max_pool"
        case .avgPool: return "avg_pool"
        case .addPrev: return "add_prev"
        case .fc: return "fc"
        }
    }
}

/// A dlib DNN file (`dlib::serialize(net)`), e.g. `dlib_face_recognition_resnet_model_v1.dat`: the loss layer,
/// the nesting versions of the layer stack and every layer's details, input first.
///
/// Port of dlib's `serialize` for `add_loss_layer` / `add_layer` / `add_tag_layer` / `add_skip_layer` and the
/// layer classes above (dlib/dnn/core.h, layers.h, input.h, loss.h). Encoding: integers are dlib's packed form
/// (a control byte: low nibble = byte count, bit 7 = negative; then little-endian bytes), strings are a packed
/// length and bytes, reals are `mantissa · 2^exponent` (two packed integers), bools are ASCII '0'/'1', tensors are
/// `version 2, n, k, nr, nc` then little-endian IEEE float32s.
public struct DlibNetFile {
    /// The loss layer name, e.g. `loss_metric_2`, and its two parameters (margin, distance threshold).
    public var loss: String
    public var lossParameters: [Double]
    /// Serialization versions of the nested layers, outermost first (2 = `add_layer`, 1 = tag/skip, 3 = the layer
    /// on the input): the shape of the network type.
    public var nesting: [Int]
    /// The layers with parameters or details, input first.
    public var layers: [DlibLayer]

    public static func load(contentsOf url: URL) throws -> DlibNetFile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DlibFormatError(file: url.path, "cannot read: \(error.localizedDescription)")
        }
        return try DlibNetFile(bytes: [UInt8](data), file: url.path)
    }

    public init(bytes: [UInt8], file: String) throws {
        var r = DlibReader(bytes: bytes, file: file)
        let version = try r.int()
        guard version == 1 else { throw r.fail("loss layer version \(version), expected 1") }
        loss = try r.string()
        switch loss {
        case "loss_metric_", "loss_metric_2": lossParameters = [try r.real(), try r.real()]
        default: throw r.fail("loss layer '\(loss)' is not supported (expected loss_metric_)")
        }
        nesting = []
        while true {
            let v = try r.int()
            guard v == 1 || v == 2 || v == 3 else { throw r.fail("layer nesting version \(v) is not 1, 2 or 3") }
            nesting.append(v)
            if v == 3 { break }
            if nesting.count > 100_000 { throw r.fail("layer nesting does not end") }
        }
        layers = []
        let input = try r.string()
        guard input == "input_rgb_image_sized" || input == "input_rgb_image" else {
            throw r.fail("input layer '\(input)' is not supported (expected input_rgb_image_sized)")
        }
        let avg = [Float(try r.real()), Float(try r.real()), Float(try r.real())]
        var rows = 0, cols = 0
        if input == "input_rgb_image_sized" { rows = try r.int(); cols = try r.int() }
        layers.append(.inputRGB(average: avg, rows: rows, columns: cols))
        layers.append(try Self.layer(&r))
        try Self.trailer(&r)
        _ = try r.int()   // sample expansion factor of the layer on the input
        while !r.atEnd {
            layers.append(try Self.layer(&r))
            try Self.trailer(&r)
        }
    }

    /// The bookkeeping every `add_layer` writes after its layer: three bools and three (normally empty) tensors.
    private static func trailer(_ r: inout DlibReader) throws {
        for _ in 0..<3 { _ = try r.bool() }
        for _ in 0..<3 { _ = try r.tensor(keep: false) }
    }

    private static func layer(_ r: inout DlibReader) throws -> DlibLayer {
        let at = r.position
        let name = try r.string()
        switch name {
        case "con_4", "con_5":
            let params = try r.tensor(keep: true)!
            let filters = try r.int(), nr = try r.int(), nc = try r.int()
            let sy = try r.int(), sx = try r.int(), py = try r.int(), px = try r.int()
            let w = try r.alias(), b = try r.alias()
            for _ in 0..<4 { _ = try r.real() }   // learning-rate / weight-decay multipliers
            var useBias = true
            if name == "con_5" { useBias = try r.bool() }
            guard filters > 0, nr > 0, nc > 0, sy > 0, sx > 0, py >= 0, px >= 0 else {
                throw r.fail("bad con_ hyper-parameters at offset \(at)")
            }
            let wCount = w.reduce(1, *), bCount = useBias ? b.reduce(1, *) : 0
            guard w[0] == filters, w[2] == nr, w[3] == nc, params.count == wCount + bCount, !useBias || bCount == filters else {
                throw r.fail("con_ at offset \(at): parameters \(params.count) do not match filters \(w) + bias \(b)")
            }
            let weight = Tensor(zeros: w)
            weight.pointer.update(from: params.pointer, count: wCount)
            var bias: Tensor?
            if useBias {
                let t = Tensor(zeros: [filters])
                t.pointer.update(from: params.pointer + wCount, count: filters)
                bias = t
            }
            return .conv(weight: weight, bias: bias, stride: (sy, sx), padding: (py, px))
        case "affine_":
            let params = try r.tensor(keep: true)!
            let g = try r.alias(), b = try r.alias()
            let mode = try r.int()
            let n = g.reduce(1, *)
            guard n == b.reduce(1, *), params.count == 2 * n, mode == 0 || mode == 1 else {
                throw r.fail("affine_ at offset \(at): \(params.count) parameters for gamma \(g), beta \(b), mode \(mode)")
            }
            let gamma = Tensor(zeros: [n]), beta = Tensor(zeros: [n])
            gamma.pointer.update(from: params.pointer, count: n)
            beta.pointer.update(from: params.pointer + n, count: n)
            return .affine(gamma: gamma, beta: beta, convMode: mode == 0)
        case "relu_":
            return .relu
        case "max_pool_2", "avg_pool_2":
            let wy = try r.int(), wx = try r.int(), sy = try r.int(), sx = try r.int(), py = try r.int(), px = try r.int()
            guard wy >= 0, wx >= 0, sy > 0, sx > 0, py >= 0, px >= 0 else { throw r.fail("bad pooling parameters at offset \(at)") }
            return name == "max_pool_2" ? .maxPool(window: (wy, wx), stride: (sy, sx), padding: (py, px))
                                        : .avgPool(window: (wy, wx), stride: (sy, sx), padding: (py, px))
        case "add_prev_":
            return .addPrev
        case "fc_2":
            let outputs = try r.int(), inputs = try r.int()
            let params = try r.tensor(keep: true)!
            let w = try r.alias(), b = try r.alias()
            let mode = try r.int()   // 0 = has bias, 1 = no bias
            for _ in 0..<4 { _ = try r.real() }
            let hasBias = mode == 0
            guard outputs > 0, inputs > 0, w == [inputs, outputs, 1, 1],
                  params.count == inputs * outputs + (hasBias ? outputs : 0) else {
                throw r.fail("fc_ at offset \(at): \(params.count) parameters for \(inputs)→\(outputs) (weights \(w), bias \(b))")
            }
            let weight = Tensor(zeros: [inputs, outputs])
            weight.pointer.update(from: params.pointer, count: inputs * outputs)
            var bias: Tensor?
            if hasBias {
                let t = Tensor(zeros: [outputs])
                t.pointer.update(from: params.pointer + inputs * outputs, count: outputs)
                bias = t
            }
            return .fc(weight: weight, bias: bias, inputs: inputs, outputs: outputs)
        default:
            throw r.fail("layer '\(name)' at offset \(at) is not supported")
        }
    }
}

/// Reads dlib's serialization primitives with bounds checks.
struct DlibReader {
    let bytes: [UInt8]
    let file: String
    private(set) var position = 0

    init(bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

    var atEnd: Bool { position >= bytes.count }

    func fail(_ message: String) -> DlibFormatError { DlibFormatError(file: file, message) }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw fail("unexpected end of file at offset \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    /// A packed integer: control byte (bits 0–3 = byte count ≤ 8, bit 7 = negative), then little-endian bytes.
    mutating func int() throws -> Int {
        let at = position
        let c = try byte()
        let n = Int(c & 0x0F)
        guard n <= 8, c & 0x70 == 0 else { throw fail("bad integer control byte 0x\(String(c, radix: 16)) at offset \(at)") }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(try byte()) << (8 * UInt64(i)) }
        guard v <= UInt64(Int.max) else { throw fail("integer out of range at offset \(at)") }
        return c & 0x80 != 0 ? -Int(v) : Int(v)
    }

    mutating func string() throws -> String {
        let n = try int()
        guard n >= 0, n <= bytes.count - position else { throw fail("bad string length \(n) at offset \(position)") }
        defer { position += n }
        return String(decoding: bytes[position..<(position + n)], as: UTF8.self)
    }

    /// A real as dlib's `float_details`: mantissa and exponent, value = mantissa · 2^exponent.
    mutating func real() throws -> Double {
        let m = try int(), e = try int()
        guard abs(e) < 2000 else { throw fail("bad real exponent \(e) at offset \(position)") }
        return Double(m) * pow(2.0, Double(e))
    }

    mutating func bool() throws -> Bool {
        let at = position
        switch try byte() {
        case UInt8(ascii: "1"): return true
        case UInt8(ascii: "0"): return false
        case let b: throw fail("bad bool byte 0x\(String(b, radix: 16)) at offset \(at)")
        }
    }

    /// `alias_tensor`: version 1, n, k, nr, nc.
    mutating func alias() throws -> [Int] {
        let at = position
        let v = try int()
        guard v == 1 else { throw fail("alias_tensor version \(v) at offset \(at), expected 1") }
        let dims = [try int(), try int(), try int(), try int()]
        guard dims.allSatisfy({ $0 >= 0 }) else { throw fail("negative alias_tensor size at offset \(at)") }
        return dims
    }

    /// A tensor (version 2, n, k, nr, nc, float32 LE data). `keep: false` skips the data and returns nil.
    mutating func tensor(keep: Bool) throws -> Tensor? {
        let at = position
        let v = try int()
        guard v == 2 else { throw fail("tensor version \(v) at offset \(at), expected 2") }
        let dims = [try int(), try int(), try int(), try int()]
        guard dims.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw fail("bad tensor size \(dims) at offset \(at)") }
        let (count, o1) = dims.reduce((1, false)) { acc, d in let m = acc.0.multipliedReportingOverflow(by: d); return (m.partialValue, acc.1 || m.overflow) }
        guard !o1, count <= (bytes.count - position) / 4 else { throw fail("tensor \(dims) at offset \(at) runs past the end of the file") }
        defer { position += 4 * count }
        guard keep else { return nil }
        let t = Tensor(zeros: [count])
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + position
            for i in 0..<count { t.pointer[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        }
        if let problem = WeightLimits.nonFiniteProblem(t) { throw fail("tensor \(dims) at offset \(at): \(problem)") }
        return t
    }
}
