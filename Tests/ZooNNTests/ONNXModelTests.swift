import XCTest
import ZooNN
import ZooTensor
import ZooTestSupport

/// The ONNX protobuf reader: hand-built messages (always run) and the YuNet file (when ../shared/data is present).
final class ONNXModelTests: XCTestCase {
    /// Protobuf encoding helpers for building tiny models by hand.
    private func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat { var b = UInt8(v & 0x7F); v >>= 7; if v != 0 { b |= 0x80 }; out.append(b) } while v != 0
        return out
    }
    private func key(_ field: Int, _ wire: Int) -> [UInt8] { varint(UInt64(field << 3 | wire)) }
    private func bytesField(_ field: Int, _ payload: [UInt8]) -> [UInt8] { key(field, 2) + varint(UInt64(payload.count)) + payload }
    private func stringField(_ field: Int, _ s: String) -> [UInt8] { bytesField(field, Array(s.utf8)) }

    private func tinyModel() -> [UInt8] {
        // TensorProto "w": dims [2], FLOAT, raw_data [1.5, -2]
        let raw = [Float(1.5), -2].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let tensor = key(1, 0) + varint(2) + key(2, 0) + varint(1) + stringField(8, "w") + bytesField(9, raw)
        // TensorProto "s": dims [3], INT64, int64_data packed [1, -1, 7]
        let packed = varint(1) + varint(UInt64(bitPattern: -1)) + varint(7)
        let shape = key(1, 0) + varint(3) + key(2, 0) + varint(7) + bytesField(7, packed) + stringField(8, "s")
        // AttributeProto strides = INTS [2, 2]; group = INT 4
        let strides = stringField(1, "strides") + bytesField(8, varint(2) + varint(2)) + key(20, 0) + varint(7)
        let group = stringField(1, "group") + key(3, 0) + varint(4) + key(20, 0) + varint(2)
        let node = stringField(1, "x") + stringField(1, "w") + stringField(2, "y") + stringField(4, "Conv")
            + bytesField(5, strides) + bytesField(5, group)
        let input = bytesField(11, stringField(1, "x"))
        let output = bytesField(12, stringField(1, "y"))
        let graph = bytesField(1, node) + bytesField(5, tensor) + bytesField(5, shape) + input + output
        let opset = bytesField(8, stringField(1, "") + key(2, 0) + varint(11))
        return key(1, 0) + varint(7) + opset + bytesField(7, graph)
    }

    func testParsesHandBuiltModel() throws {
        let m = try ONNXModel(data: Data(tinyModel()))
        XCTAssertEqual(m.irVersion, 7)
        XCTAssertEqual(m.opsetVersion, 11)
        XCTAssertEqual(m.nodes.count, 1)
        XCTAssertEqual(m.nodes[0].opType, "Conv")
        XCTAssertEqual(m.nodes[0].inputs, ["x", "w"])
        XCTAssertEqual(m.nodes[0].ints("strides"), [2, 2])
        XCTAssertEqual(m.nodes[0].int("group"), 4)
        XCTAssertEqual(try m.initializer("w").floats, [1.5, -2])
        XCTAssertEqual(try m.initializer("s").int64s, [1, -1, 7])
        XCTAssertEqual(m.inputs, ["x"])
        XCTAssertEqual(m.outputs, ["y"])
        XCTAssertThrowsError(try m.initializer("nope")) { XCTAssertTrue("\($0)".contains("nope")) }
    }

    func testTruncatedFilesThrowInsteadOfCrashing() {
        let full = tinyModel()
        for cut in stride(from: 1, to: full.count, by: 3) {
            // Every strict prefix is either rejected or (if it ends on a field boundary) lacks data.
            if let m = try? ONNXModel(data: Data(full[0..<cut])) {
                XCTAssertTrue(m.nodes.count <= 1)
            }
        }
        XCTAssertThrowsError(try ONNXModel(data: Data([0x3A, 0xFF, 0xFF, 0xFF, 0x0F]))) { e in
            XCTAssertTrue("\(e)".contains("runs past the end"), "\(e)")
        }
        XCTAssertThrowsError(try ONNXModel(data: Data()))
        XCTAssertThrowsError(try ONNXModel(contentsOf: URL(fileURLWithPath: "/nonexistent.onnx"))) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent.onnx"))
        }
    }

    func testRawDataSizeMismatchIsNamed() {
        let tensor = key(1, 0) + varint(3) + key(2, 0) + varint(1) + stringField(8, "bad") + bytesField(9, [0, 0, 0, 0])
        let model = bytesField(7, bytesField(5, tensor))
        XCTAssertThrowsError(try ONNXModel(data: Data(model))) { e in XCTAssertTrue("\(e)".contains("'bad'"), "\(e)") }
    }

    func testHalfToFloatViaInitializer() throws {
        // float16 1.0 = 0x3C00, -2.5 = 0xC100, smallest subnormal 0x0001 = 2^-24
        let raw: [UInt8] = [0x00, 0x3C, 0x00, 0xC1, 0x01, 0x00]
        let tensor = key(1, 0) + varint(3) + key(2, 0) + varint(10) + stringField(8, "h") + bytesField(9, raw)
        let m = try ONNXModel(data: Data(bytesField(7, bytesField(5, tensor))))
        XCTAssertEqual(try m.initializer("h").floats, [1, -2.5, Float(sign: .plus, exponent: -24, significand: 1)])
    }

    /// Reference values from onnx 1.x `numpy_helper.to_array` on the same file.
    func testReadsYuNetFile() throws {
        let url = try TestData.shared("weights/yunet/yunet_n_320_320.onnx")
        let m = try ONNXModel(contentsOf: url)
        XCTAssertEqual(m.opsetVersion, 11)
        XCTAssertEqual(m.nodes.count, 115)
        XCTAssertEqual(m.initializers.count, 124)
        XCTAssertEqual(m.nodes.filter { $0.opType == "Conv" }.count, 59)
        XCTAssertEqual(m.inputs, ["input"])
        XCTAssertEqual(m.outputs.first, "cls_8")
        let w = try m.initializer("459")
        XCTAssertEqual(w.dims, [16, 3, 3, 3])
        assertAllClose(Array(w.floats.prefix(3)), [0.00023182154109235853, -0.005431972444057465, 0.0005714077269658446], tolerance: 0)
        XCTAssertEqual(Double(w.floats.reduce(0, +)), -0.01156162494066848, accuracy: 1e-6)
        XCTAssertEqual(try m.initializer("329").int64s, [1, -1, 1])
    }
}
