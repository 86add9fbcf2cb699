import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// YuNet-n against onnxruntime 1.31.1 (fixture from scripts/make_face_fixtures.py).
final class FaceYuNetTests: XCTestCase {
    /// Raw outputs within 1e-3 absolute: float32 with different summation orders (im2col GEMM vs onnxruntime's
    /// direct kernels) over ~20 layers; the outputs are O(1)–O(10) logits and sigmoids.
    func testRawOutputsMatchOnnxruntime() throws {
        let url = try TestData.shared("weights/yunet/yunet_n_320_320.onnx")
        let net = try YuNet.load(onnx: url)
        let fixture = try FaceFixtureFile.load("yunet_n_320")
        let worst = fixture.compare(try net.rawOutputs(fixture.inputTensor), tolerance: 1e-3)
        print("YuNet-n max |ours − onnxruntime| over sampled raw outputs: \(worst)")
    }

    /// `yunet_n_dynamic.onnx` holds the same weights under the same names: the same module loads it and gives
    /// the same raw outputs (the network is size-independent).
    func testDynamicExportLoadsIntoTheSameModule() throws {
        let net = try YuNet.load(onnx: try TestData.shared("weights/yunet/yunet_n_dynamic.onnx"))
        let fixture = try FaceFixtureFile.load("yunet_n_320")
        fixture.compare(try net.rawOutputs(fixture.inputTensor), tolerance: 1e-3)
    }

    /// Strict import: a graph whose weights do not fit the architecture is rejected with the key named.
    func testRejectsAnotherGraph() throws {
        let url = try TestData.shared("weights/scrfd/scrfd_500m_bnkps.onnx")
        XCTAssertThrowsError(try YuNet.load(onnx: url)) { e in
            XCTAssertTrue("\(e)".contains("backbone.model0"), "\(e)")
        }
    }

    /// End to end on ../shared/data/images/faces against the reference pipeline (OpenCV FaceDetectorYN, 320 × 320 canvas). Same face count; boxes and
    /// landmarks within 0.5 px and scores within 2e-3 (JPEG decoding and the bilinear resize are bit-exact with
    /// OpenCV, what remains is float32 summation order).
    func testDetectionsMatchReferencePipeline() throws {
        let detector = try YuNet.detector(contentsOf: try TestData.shared("weights/yunet/yunet_n_320_320.onnx"))
        let worst = try FaceDetectionFixture.compare(detector, key: "yunet", pixelTolerance: 0.5, scoreTolerance: 2e-3)
        print("YuNet detector end to end: max coordinate error \(worst.pixels) px, max score error \(worst.score)")
    }
}
