import Foundation
import XCTest
import ZooTestSupport
@testable import ZooNN

/// The zip-format `torch.save` reader on small checkpoints written by scripts/make_torch_checkpoint_fixtures.py
/// (torch 2.14.1), the legacy reader on the same object, and malformed archives and pickles.
final class TorchZipTests: XCTestCase {
    private struct Expected: Decodable { var shape: [Int]; var values: [Double] }

    private func expected(_ group: String) throws -> [String: Expected] {
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: TestData.fixture("torch/expected.json"))) as! [String: Any]
        return try JSONDecoder().decode([String: Expected].self, from: JSONSerialization.data(withJSONObject: all[group]!))
    }

    private func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: TestData.fixture("torch/\(name)"))) }

    /// Values exactly as torch sees them (every stored element is exact in Float32, incl. half and bfloat16),
    /// views materialised (transpose, storage offset, stride 3), nested dict keys joined with ".".
    private func check(_ sd: TorchStateDict, _ exp: [String: Expected], _ label: String) throws {
        XCTAssertEqual(Set(sd.names), Set(exp.keys), label)
        for (k, e) in exp {
            let t = try sd.tensor(k, shape: e.shape)
            XCTAssertEqual(t.toArray(), e.values.map { Float($0) }, "\(label) \(k)")
        }
        XCTAssertNoThrow(try sd.checkAllUsed(Set(exp.keys)))
    }

    func testZipAndLegacyCheckpointsMatchTorch() throws {
        let exp = try expected("views")
        try check(try TorchPickle.loadStateDict(contentsOf: TestData.fixture("torch/views_zip.pth")), exp, "zip")
        try check(try TorchPickle.loadStateDict(contentsOf: TestData.fixture("torch/views_legacy.pth")), exp, "legacy")
        XCTAssertEqual(try TorchPickle.loadStateDict(contentsOf: TestData.fixture("torch/views_zip.pth")).names.first, "matrix")
    }

    func testTorchvisionModuleStateDict() throws {
        let sd = try TorchPickle.loadStateDict(contentsOf: TestData.fixture("torch/fpn_zip.pth"))
        try check(sd, try expected("fpn"), "fpn")
        XCTAssertEqual(sd.names.first, "inner_blocks.0.0.weight")
    }

    func testTruncatedZipThrowsAtEveryCut() throws {
        let b = try bytes("views_zip.pth")
        for cut in stride(from: 0, to: b.count, by: 7) {
            XCTAssertThrowsError(try TorchPickle.loadStateDict(bytes: Array(b.prefix(cut)), file: "cut\(cut).pth"), "cut \(cut)")
        }
    }

    /// Every single-byte change of the archive is either read or refused with an error, never a trap.
    func testCorruptBytesNeverTrap() throws {
        let b = try bytes("views_zip.pth")
        for i in 0..<b.count {
            for v: UInt8 in [0x00, 0xFF, b[i] ^ 0x10] {
                var c = b; c[i] = v
                _ = try? TorchPickle.loadStateDict(bytes: c, file: "corrupt.pth")
            }
        }
    }

    /// Offset of the central-directory entry for `name`.
    private func directoryEntry(_ b: [UInt8], _ name: String) -> Int? {
        let sig: [UInt8] = [0x50, 0x4B, 0x01, 0x02], n = Array(name.utf8)
        for p in 0..<(b.count - 46) where Array(b[p..<(p + 4)]) == sig {
            let len = Int(b[p + 28]) | Int(b[p + 29]) << 8
            if p + 46 + len <= b.count, Array(b[(p + 46)..<(p + 46 + len)]) == n { return p }
        }
        return nil
    }

    func testCompressedEntryIsRefusedByName() throws {
        var b = try bytes("views_zip.pth")
        let p = try XCTUnwrap(directoryEntry(b, "views_zip/data/1"))
        b[p + 10] = 8   // deflate
        XCTAssertThrowsError(try TorchPickle.loadStateDict(bytes: b, file: "deflated.pth")) { e in
            XCTAssertTrue("\(e)".contains("views_zip/data/1") && "\(e)".contains("compressed"), "\(e)")
        }
    }

    func testMissingAndShortStoragesNameTheKey() throws {
        var b = try bytes("views_zip.pth")
        let p = try XCTUnwrap(directoryEntry(b, "views_zip/data/0"))
        b[p + 46 + 15] = UInt8(ascii: "9")   // data/0 → data/9: storage 0 is gone
        XCTAssertThrowsError(try TorchPickle.loadStateDict(bytes: b, file: "renamed.pth")) { e in
            XCTAssertTrue("\(e)".contains("storage 0") && "\(e)".contains("not in the archive"), "\(e)")
        }
        var s = try bytes("views_zip.pth")
        let q = try XCTUnwrap(directoryEntry(s, "views_zip/data/0"))
        s[q + 20] = 8; s[q + 24] = 8          // 2 floats where the pickle says 24
        XCTAssertThrowsError(try TorchPickle.loadStateDict(bytes: s, file: "short.pth")) { e in
            XCTAssertTrue("\(e)".contains("matrix") && "\(e)".contains("24"), "\(e)")
        }
    }

    func testNotATorchArchive() throws {
        // A valid zip (one stored entry "a.txt") with no data.pkl.
        var z: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0]
        z += Array("a.txt".utf8) + [0x41]
        let dir = z.count
        z += [0x50, 0x4B, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        z += Array("a.txt".utf8)
        let dirSize = z.count - dir
        z += [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0, UInt8(dirSize), 0, 0, 0, UInt8(dir), 0, 0, 0, 0, 0]
        XCTAssertThrowsError(try TorchPickle.loadStateDict(bytes: z, file: "plain.zip")) { e in
            XCTAssertTrue("\(e)".contains("data.pkl"), "\(e)")
        }
    }

    // MARK: hostile tensor geometry in a pickle

    /// `_rebuild_tensor_v2(('storage', torch.FloatStorage, '0', 'cpu', 4), offset, shape, stride)` as a pickle.
    private func rebuildPickle(shape: [Int64], stride: [Int64], offset: Int64 = 0) -> [UInt8] {
        func str(_ s: String) -> [UInt8] { [0x8C, UInt8(s.utf8.count)] + Array(s.utf8) }
        func long(_ v: Int64) -> [UInt8] { [0x8A, 8] + withUnsafeBytes(of: v.littleEndian, Array.init) }
        func tuple(_ xs: [Int64]) -> [UInt8] { [0x28] + xs.flatMap(long) + [0x74] }
        var p: [UInt8] = [0x80, 0x02, 0x63] + Array("torch._utils\n_rebuild_tensor_v2\n".utf8)
        p += [0x28, 0x28] + str("storage") + [0x63] + Array("torch\nFloatStorage\n".utf8) + str("0") + str("cpu") + long(4) + [0x74, 0x51]
        p += long(offset) + tuple(shape) + tuple(stride) + [0x74, 0x52, 0x2E]
        return p
    }

    func testHostileShapesAndStridesAreErrors() {
        let cases: [([Int64], [Int64], Int64, String)] = [
            ([1 << 40, 1 << 40], [1, 1], 0, "over the limits"),
            ([1, 3], [1, 1 << 62], 0, "exceeds its storage"),
            ([3], [Int64.max / 2], 0, "exceeds its storage"),
            ([2], [1], Int64.max - 1, "exceeds its storage"),
            ([5], [1], 0, "exceeds its storage"),
        ]
        for (shape, stride, offset, message) in cases {
            var m = TorchPickleMachine(bytes: rebuildPickle(shape: shape, stride: stride, offset: offset), position: 0, file: "hostile.pkl")
            XCTAssertThrowsError(try m.run(), "\(shape) \(stride)") { e in XCTAssertTrue("\(e)".contains(message), "\(e)") }
        }
        var ok = TorchPickleMachine(bytes: rebuildPickle(shape: [2, 2], stride: [1, 2]), position: 0, file: "ok.pkl")
        XCTAssertNoThrow(try ok.run())
    }
}
