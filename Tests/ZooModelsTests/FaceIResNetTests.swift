import Foundation
import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// IResNet against onnxruntime on random-weight exports (scripts/make_iresnet_fixture.py): a tiny committed
/// one (always runs) and, when the script has been run on this machine, a full IResNet-50.
final class FaceIResNetTests: XCTestCase {
    private struct Reference: Decodable {
        struct Input: Decodable { var seed: UInt64; var count: Int; var mean: Float; var std: Float }
        var input: Input
        var shape: [Int]
        var values: [Float]
    }

    private func check(onnx: URL, json: URL, layers: [Int], widths: [Int], tolerance: Float) throws -> Float {
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: json))
        let net = try IResNet(contentsOf: onnx, layers: layers, widths: widths)
        let x = FaceFixtureInput.tensor([ref.input.count, 3, 112, 112], seed: ref.input.seed, mean: ref.input.mean, std: ref.input.std)
        let y = net(x)
        XCTAssertEqual(y.shape, ref.shape)
        assertAllClose(y.toArray(), ref.values, tolerance: tolerance)
        return zip(y.toArray(), ref.values).map { abs($0 - $1) }.max() ?? 0
    }

    /// Embedding values are O(10); 1e-3 absolute is float32 agreement after ~20 layers.
    func testTinyRandomIResNetMatchesOnnxruntime() throws {
        let worst = try check(onnx: TestData.fixture("faces/iresnet_tiny.onnx"), json: TestData.fixture("faces/iresnet_tiny.json"),
                              layers: [2, 2, 2, 2], widths: [4, 8, 8, 16], tolerance: 1e-3)
        print("IResNet tiny max |ours − onnxruntime|: \(worst)")
    }

    /// Full IResNet-50 (174 MB, not committed): embedding values up to ~100 after 50 layers, so 1e-2 absolute
    /// (1e-4 relative) — onnxruntime itself differs from torch by 2e-4 on this model.
    func testIResNet50RandomMatchesOnnxruntime() throws {
        let dir = ProcessInfo.processInfo.environment["VZ_FIXTURE_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/visionzoo")
        let onnx = dir.appendingPathComponent("iresnet50_random.onnx")
        guard FileManager.default.fileExists(atPath: onnx.path) else {
            throw XCTSkip("run scripts/make_iresnet_fixture.py to export \(onnx.path)")
        }
        let worst = try check(onnx: onnx, json: dir.appendingPathComponent("iresnet50_random.json"),
                              layers: [3, 4, 14, 3], widths: [64, 128, 256, 512], tolerance: 1e-2)
        print("IResNet-50 random max |ours − onnxruntime|: \(worst)")
    }

    func testWrongDepthIsRejectedNamingTheNode() throws {
        XCTAssertThrowsError(try IResNet(contentsOf: TestData.fixture("faces/iresnet_tiny.onnx"), layers: [2, 2, 3, 2], widths: [4, 8, 8, 16])) { e in
            XCTAssertTrue("\(e)".contains("layer3.2") || "\(e)".contains("layer4.0"), "\(e)")
        }
        XCTAssertThrowsError(try IResNet(contentsOf: TestData.fixture("faces/iresnet_tiny.onnx"), layers: [2, 2, 2, 2], widths: [4, 8, 16, 16])) { e in
            XCTAssertTrue("\(e)".contains("layer3.0"), "\(e)")
        }
    }
}
