import XCTest
import ZooNN
import ZooTensor
import ZooTestSupport

/// MXNet `.params` (NDArray list) and symbol JSON readers.
final class MXNetParamsTests: XCTestCase {
    private func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    /// One v2 dense float32 array named "arg:w" of shape [2, 2], then its name.
    private func tinyFile(magic: UInt64 = 0x112, names: Int = 1) -> [UInt8] {
        var b = le(magic) + le(UInt64(0)) + le(UInt64(1))
        b += le(UInt32(0xF993_FAC9)) + le(Int32(0)) + le(UInt32(2)) + le(Int64(2)) + le(Int64(2))
        b += le(Int32(1)) + le(Int32(0)) + le(Int32(0))
        for v: Float in [1, 2, 3, -4] { b += le(v.bitPattern) }
        b += le(UInt64(names))
        for _ in 0..<names { b += le(UInt64(5)) + Array("arg:w".utf8) }
        return b
    }

    func testReadsHandBuiltFile() throws {
        var p = try MXNetParams(data: Data(tinyFile()))
        XCTAssertEqual(p.names, ["w"])
        XCTAssertThrowsError(try p.take("w", shape: [4])) { XCTAssertTrue("\($0)".contains("'w'")) }
        XCTAssertEqual(try p.take("w", shape: [2, 2]).toArray(), [1, 2, 3, -4])
        XCTAssertThrowsError(try p.take("w", shape: [2, 2])) { XCTAssertTrue("\($0)".contains("twice")) }
        XCTAssertThrowsError(try p.take("v", shape: [1])) { XCTAssertTrue("\($0)".contains("'v'")) }
        XCTAssertNoThrow(try p.checkAllUsed())
    }

    func testRejectsBadFiles() {
        XCTAssertThrowsError(try MXNetParams(data: Data(tinyFile(magic: 0x113)))) { XCTAssertTrue("\($0)".contains("magic")) }
        XCTAssertThrowsError(try MXNetParams(data: Data(tinyFile(names: 2)))) { XCTAssertTrue("\($0)".contains("names")) }
        let full = tinyFile()
        for cut in 0..<full.count {
            XCTAssertThrowsError(try MXNetParams(data: Data(full[0..<cut])), "prefix of \(cut) bytes")
        }
    }

    func testSymbolAttributes() throws {
        let json = """
        {"nodes": [{"op": "null", "name": "data", "inputs": []},
                   {"op": "null", "name": "c_weight", "inputs": []},
                   {"op": "Convolution", "name": "c", "attrs": {"kernel": "(3, 3)", "num_group": "64", "no_bias": "True"},
                    "inputs": [[0, 0, 0], [1, 0, 0]]}], "heads": [[2, 0, 0]]}
        """
        let s = try MXNetSymbol(data: Data(json.utf8))
        let c = try s.node("c", op: "Convolution")
        XCTAssertEqual(c.ints("kernel"), [3, 3])
        XCTAssertEqual(c.ints("num_group"), [64])
        XCTAssertEqual(c.bool("no_bias"), true)
        XCTAssertEqual(c.inputs, ["data", "c_weight"])
        XCTAssertThrowsError(try s.node("c", op: "BatchNorm")) { XCTAssertTrue("\($0)".contains("'c'")) }
        XCTAssertThrowsError(try MXNetSymbol(data: Data("[1]".utf8)))
    }

    /// Reference values from a direct Python `struct` parse of the same file.
    func testReadsMobileFaceNetParams() throws {
        let url = try TestData.shared("weights/mobilefacenet/model-0000.params")
        var p = try MXNetParams(contentsOf: url)
        XCTAssertEqual(p.names.count, 284)
        XCTAssertEqual(p.names.first, "res_3_block1_conv_dw_conv2d_weight")
        let fc = try p.take("fc1_weight", shape: [128, 512])
        assertAllClose(Array(fc.toArray().prefix(3)), [-0.3029837906360626, 0.3632538616657257, -0.2828732132911682], tolerance: 0)
        XCTAssertEqual(Double(fc.toArray().reduce(0, +)), -93.62117835035065, accuracy: 1e-3)
        let mv = try p.take("fc1_moving_var", shape: [128])
        XCTAssertEqual(mv.toArray()[0], 33.30999755859375)
        XCTAssertEqual(p.unused.count, 282)
    }
}
