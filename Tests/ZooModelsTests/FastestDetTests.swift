import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// FastestDet (ShuffleNetV2 + FastestDetNeck + FastestDetHead) against onnxruntime 1.31.1
/// (Tests/Fixtures/detect/fastestdet_raw.json from scripts/make_anchor_free_fixtures.py).
final class FastestDetTests: XCTestCase {
    func load() throws -> SingleStageDetector {
        try FastestDet.load(onnx: try TestData.shared("weights/fastestdet/FastestDet.onnx"),
                            card: try ModelZoo.entry(named: "fastestdet").card)
    }

    /// Raw output `[1, 85, 22, 22]` within 1e-4 × the output's scale (raw box values up to ≈ 5, sigmoid/softmax
    /// in 0…1): float32 with other summation orders over 70 convs.
    func testRawOutputMatchesOnnxruntime() throws {
        let net = try load()
        let fixture = try FaceFixtureFile.load(path: "detect/fastestdet_raw.json")
        let raw = try net.forward(fixture.inputTensor)
        let scale = fixture.outputs[0].values.map(abs).max()!
        let worst = fixture.compare(["758": raw[0]], tolerance: 1e-4 * max(1, scale))
        print("FastestDet max |ours − onnxruntime| over sampled raw outputs: \(worst) (output scale \(scale))")
    }

    /// The composition: ShuffleNetV2 maps at strides 8/16/32 feed one stride-16 map; the head is class-agnostic.
    func testComposition() throws {
        let net = try load()
        let d = try DetectorDescription(net)
        XCTAssertEqual(d.stages.map(\.module), ["ShuffleNetV2", "FastestDetNeck", "FastestDetHead"])
        XCTAssertEqual(d.stages[0].outputs.map(\.stride), [8, 16, 32])
        XCTAssertEqual(d.stages[1].outputs.map(\.shape), [[1, 96, 22, 22]])
        XCTAssertEqual(d.stages[2].outputs.map(\.shape), [[1, 85, 22, 22]])
        XCTAssertEqual(net.postprocessing, .nms(classAware: false))
    }
}
