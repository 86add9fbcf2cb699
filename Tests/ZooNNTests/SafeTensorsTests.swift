import Foundation
import XCTest
import ZooTestSupport
@testable import ZooNN

/// SafeTensors round trip, dtype conversion, and specific errors for crafted malformed files.
final class SafeTensorsTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A file with the given header JSON and raw data bytes.
    func craft(_ header: String, _ data: [UInt8], name: String = "t.safetensors", declaredLength: UInt64? = nil) throws -> URL {
        let h = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { bytes += $0 }
        bytes += h + data
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func assertError(_ url: URL, contains: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors(contentsOf: url), file: file, line: line) { e in
            let msg = "\(e)"
            XCTAssertTrue(msg.contains(contains), "error '\(msg)' does not mention '\(contains)'", file: file, line: line)
            XCTAssertTrue(msg.contains(url.lastPathComponent), "error '\(msg)' does not name the file", file: file, line: line)
        }
    }

    func testRoundTrip() throws {
        let a = Tensor(shape: [2, 3], data: [1, -2, 3.5, 0, .infinity, -1e-30])
        let b = Tensor(shape: [4], data: [9, 8, 7, 6])
        let url = dir.appendingPathComponent("rt.safetensors")
        try SafeTensors.write(["conv.weight": a, "bn.\"odd\"name": b], to: url, metadata: ["format": "pt"])
        let st = try SafeTensors(contentsOf: url)
        XCTAssertEqual(st.names, ["bn.\"odd\"name", "conv.weight"])
        XCTAssertEqual(st.metadata, ["format": "pt"])
        XCTAssertEqual(try st.tensor("conv.weight").shape, [2, 3])
        XCTAssertEqual(try st.tensor("conv.weight").toArray(), a.toArray())
        XCTAssertEqual(try st.tensor("bn.\"odd\"name").toArray(), b.toArray())
        XCTAssertThrowsError(try st.tensor("missing")) { XCTAssertTrue("\($0)".contains("no tensor named 'missing'")) }
    }

    func testHalfAndBFloat16Conversion() throws {
        // F16: 1.0 = 0x3C00, -2.5 = 0xC100, smallest subnormal 0x0001 = 2^-24, inf 0x7C00
        let f16: [UInt16] = [0x3C00, 0xC100, 0x0001, 0x7C00]
        // BF16: 1.0 = 0x3F80, -3.0 = 0xC040
        let bf16: [UInt16] = [0x3F80, 0xC040]
        var data: [UInt8] = []
        for v in f16 + bf16 { data += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        let url = try craft(#"{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}"#, data)
        let st = try SafeTensors(contentsOf: url)
        XCTAssertEqual(try st.tensor("h").toArray(), [1, -2.5, Float(sign: .plus, exponent: -24, significand: 1), .infinity])
        XCTAssertEqual(try st.tensor("b").toArray(), [1, -3])
    }

    func testMalformedFilesGiveSpecificErrors() throws {
        let ok4 = [UInt8](repeating: 0, count: 16)
        assertError(try craft("", [], name: "empty.safetensors", declaredLength: nil).deletingLastPathComponent()
                        .appendingPathComponent("empty.safetensors"), contains: "header length")
        let empty = dir.appendingPathComponent("zero.safetensors"); try Data().write(to: empty)
        assertError(empty, contains: "empty file")
        let short = dir.appendingPathComponent("short.safetensors"); try Data([1, 2, 3]).write(to: short)
        assertError(short, contains: "truncated")
        assertError(try craft("{}", [], name: "huge.safetensors", declaredLength: 1 << 40), contains: "exceeds")
        assertError(try craft("{\"a\":", [], name: "badjson.safetensors"), contains: "not valid JSON")
        assertError(try craft("[1,2]  ", [], name: "array.safetensors"), contains: "does not start with '{'")
        assertError(try craft(#"{"a":{"dtype":"Q7","shape":[4],"data_offsets":[0,16]}}"#, ok4, name: "dtype.safetensors"), contains: "unknown dtype 'Q7'")
        assertError(try craft(#"{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}}"#, ok4, name: "size.safetensors"), contains: "needs 20 bytes")
        assertError(try craft(#"{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#, ok4, name: "neg.safetensors"), contains: "negative")
        assertError(try craft(#"{"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#, ok4, name: "range.safetensors"), contains: "run past the data region")
        assertError(try craft(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, ok4, name: "order.safetensors"), contains: "not increasing")
        assertError(try craft(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, ok4, name: "overlap.safetensors"), contains: "overlap")
        assertError(try craft(#"{"a":{"dtype":"F32","shape":[4]}}"#, ok4, name: "nooffsets.safetensors"), contains: "data_offsets")
        assertError(try craft(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0.5,16]}}"#, ok4, name: "frac.safetensors"), contains: "data_offsets")
        assertError(try craft(#"{"a":[1]}"#, ok4, name: "entry.safetensors"), contains: "not an object")
        assertError(dir, contains: "directory")
        assertError(dir.appendingPathComponent("nope.safetensors"), contains: "no such file")
        // a valid file with an integer dtype opens, but reading that tensor as float is refused
        let ints = try SafeTensors(contentsOf: try craft(#"{"i":{"dtype":"I32","shape":[4],"data_offsets":[0,16]}}"#, ok4, name: "int.safetensors"))
        XCTAssertThrowsError(try ints.tensor("i")) { XCTAssertTrue("\($0)".contains("not a float type")) }
    }
}
