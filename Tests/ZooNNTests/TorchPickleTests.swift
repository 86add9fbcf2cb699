import Foundation
import XCTest
import ZooTestSupport
@testable import ZooNN

/// The legacy torch pickle reader on facenet-pytorch's P-Net file and on hand-made malformed streams.
final class TorchPickleTests: XCTestCase {
    /// facenet-pytorch 2.6.0's `name`.pt from `weights/mtcnn` (after `vz weights pull mtcnn`), else skip.
    private func weightURL(_ name: String) throws -> URL {
        let url = TestData.packageRoot.appendingPathComponent("weights/mtcnn/\(name).pt")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("weights/mtcnn/\(name).pt absent (run vz weights pull mtcnn)") }
        return url
    }

    private struct Summary: Decodable { var name: String; var shape: [Int]; var sum: Double; var abs_sum: Double; var head: [Float] }

    /// Every tensor of pnet/rnet/onet.pt matches torch.load's: names in order, shapes, first values exactly,
    /// sums to 1e-9 relative (float64 sums of identical float32 values; only summation order differs).
    func testReadsMTCNNStateDictsLikeTorchLoad() throws {
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: TestData.fixture("mtcnn/nets.json"))) as! [String: Any]
        for net in ["pnet", "rnet", "onet"] {
            let expected = try JSONDecoder().decode([Summary].self, from: JSONSerialization.data(withJSONObject: fixture[net + "_state"]!))
            let sd = try TorchPickle.loadStateDict(contentsOf: try weightURL(net))
            XCTAssertEqual(sd.names, expected.map(\.name), net)
            for e in expected {
                let t = try sd.tensor(e.name, shape: e.shape)
                let v = t.toArray()
                XCTAssertEqual(Array(v.prefix(4)), e.head, "\(net) \(e.name)")
                let sum = v.reduce(0.0) { $0 + Double($1) }, abs = v.reduce(0.0) { $0 + Double(Swift.abs($1)) }
                XCTAssertEqual(sum, e.sum, accuracy: 1e-9 * max(1, e.abs_sum), "\(net) \(e.name)")
                XCTAssertEqual(abs, e.abs_sum, accuracy: 1e-9 * max(1, e.abs_sum), "\(net) \(e.name)")
            }
            XCTAssertNoThrow(try sd.checkAllUsed(Set(expected.map(\.name))))
            XCTAssertThrowsError(try sd.checkAllUsed([]))
            XCTAssertThrowsError(try sd.tensor(expected[0].name, shape: [1])) { e in XCTAssertTrue("\(e)".contains(expected[0].name)) }
            XCTAssertThrowsError(try sd.tensor("nope")) { e in XCTAssertTrue("\(e)".contains("missing tensor nope")) }
        }
    }

    func testRejectsDisallowedGlobal() {
        // PROTO 2, GLOBAL 'os system', STOP — the classic pickle exploit must be refused, not executed.
        let stream: [UInt8] = [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x2E]
        var m = TorchPickleMachine(bytes: stream, position: 0, file: "evil.pt")
        XCTAssertThrowsError(try m.run()) { e in XCTAssertTrue("\(e)".contains("os.system") && "\(e)".contains("not allowed"), "\(e)") }
    }

    func testTruncatedAndGarbageInputsThrow() throws {
        let bytes = [UInt8](try Data(contentsOf: try weightURL("pnet")))
        for cut in [0, 5, 14, 100, 700, 1657, 1700, 1940, bytes.count - 1] {
            XCTAssertThrowsError(try TorchPickle.loadStateDict(bytes: Array(bytes.prefix(cut)), file: "cut\(cut)"), "cut at \(cut)")
        }
        XCTAssertThrowsError(try TorchPickle.loadStateDict(bytes: [0x50, 0x4B, 0x03, 0x04, 0, 0], file: "zip.pt")) { e in
            XCTAssertTrue("\(e)".contains("zip"))
        }
        // Random bytes after a valid header never trap.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var b = Array(bytes.prefix(137))
            b += (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? TorchPickle.loadStateDict(bytes: b, file: "random")
        }
    }
}
