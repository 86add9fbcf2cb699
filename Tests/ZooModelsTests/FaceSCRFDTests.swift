import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// SCRFD-500M against onnxruntime 1.31.1 (fixture from scripts/make_face_fixtures.py, a 256×320 input).
final class FaceSCRFDTests: XCTestCase {
    /// Raw outputs within 1e-3 absolute (float32, different summation order; ~35 conv layers).
    func testRawOutputsMatchOnnxruntime() throws {
        let url = try TestData.shared("weights/scrfd/scrfd_500m_bnkps.onnx")
        let net = try SCRFD.load(onnx: url)
        let fixture = try FaceFixtureFile.load("scrfd_500m")
        let worst = fixture.compare(try net.rawOutputs(fixture.inputTensor), tolerance: 1e-3)
        print("SCRFD-500M max |ours − onnxruntime| over sampled raw outputs: \(worst)")
    }

    func testRejectsAnotherGraph() throws {
        let url = try TestData.shared("weights/yunet/yunet_n_320_320.onnx")
        XCTAssertThrowsError(try SCRFD.load(onnx: url)) { e in
            XCTAssertTrue("\(e)".contains("'backbone.model0.conv2.conv1.weight' is where the model expects"), "\(e)")
        }
    }

    /// End to end on ../shared/data/images/faces against the reference pipeline (InsightFace SCRFD.detect with onnxruntime, 640 × 640 canvas). Same face count; boxes and
    /// landmarks within 0.5 px and scores within 2e-3 (JPEG decoding and the bilinear resize are bit-exact with
    /// OpenCV, what remains is float32 summation order).
    func testDetectionsMatchReferencePipeline() throws {
        let detector = try SCRFD.detector(contentsOf: try TestData.shared("weights/scrfd/scrfd_500m_bnkps.onnx"))
        let worst = try FaceDetectionFixture.compare(detector, key: "scrfd", pixelTolerance: 0.5, scoreTolerance: 2e-3)
        print("SCRFD detector end to end: max coordinate error \(worst.pixels) px, max score error \(worst.score)")
    }
}
