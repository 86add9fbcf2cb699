import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// NanoDet-m (ShuffleNetV2 1.0× torchvision layout + PAN + GFLHead) against onnxruntime 1.31.1
/// (Tests/Fixtures/detect/nanodet_m_raw.json from scripts/make_anchor_free_fixtures.py).
final class NanoDetTests: XCTestCase {
    func load() throws -> SingleStageDetector {
        try NanoDet.load(onnx: try TestData.shared("weights/nanodet-m/nanodet_m.onnx"),
                         card: try ModelZoo.entry(named: "nanodet-m").card)
    }

    /// The six raw outputs (sigmoid class scores and distance logits per level) within 1e-4 × the largest
    /// output magnitude: float32 with other summation orders over 73 convs and bilinear resamplings.
    func testRawOutputsMatchOnnxruntime() throws {
        let net = try load()
        let fixture = try FaceFixtureFile.load(path: "detect/nanodet_m_raw.json")
        let raw = try net.forward(fixture.inputTensor)
        let scale = fixture.outputs.flatMap(\.values).map(abs).max()!
        let ours = Dictionary(uniqueKeysWithValues: zip(net.head.rawOutputNames, raw))
        let worst = fixture.compare(ours, tolerance: 1e-4 * max(1, scale))
        print("NanoDet-m max |ours − onnxruntime| over sampled raw outputs: \(worst) (output scale \(scale))")
    }

    /// ShuffleNetV2 1.0× channels, PAN at 96 channels on strides 8/16/32, class-aware NMS.
    func testComposition() throws {
        let net = try load()
        let d = try DetectorDescription(net)
        XCTAssertEqual(d.stages.map(\.module), ["ShuffleNetV2", "PAN", "GFLHead"])
        XCTAssertEqual(d.stages[0].outputs.map { $0.shape[1] }, [116, 232, 464])
        XCTAssertEqual(d.stages[1].outputs.map(\.shape), [[1, 96, 52, 52], [1, 96, 26, 26], [1, 96, 13, 13]])
        XCTAssertEqual(net.postprocessing, .nms(classAware: true))
    }
}
