import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// RetinaFace-mnet0.25 against onnxruntime 1.31.1 (raw outputs, 256×320 input) and against the
/// Pytorch_Retinaface `detect.py` pipeline re-implemented on onnxruntime (scripts/make_face_detection_fixtures.py).
final class FaceRetinaFaceTests: XCTestCase {
    /// Raw outputs within 1e-3 absolute (float32, different summation order).
    func testRawOutputsMatchOnnxruntime() throws {
        let net = try RetinaFace.load(onnx: try TestData.shared("weights/retinaface/retinaface_mbnet0.25.onnx"))
        let fixture = try FaceFixtureFile.load("retinaface_mnet025")
        let worst = fixture.compare(try net.rawOutputs(fixture.inputTensor), tolerance: 1e-3)
        print("RetinaFace-mnet0.25 max |ours − onnxruntime| over sampled raw outputs: \(worst)")
    }

    /// Priors: count and the first/last prior of a 640×640 input (Pytorch_Retinaface PriorBox).
    func testPriors() {
        let p = RetinaFacePriors.make(width: 640, height: 640)
        XCTAssertEqual(p.count / 4, (80 * 80 + 40 * 40 + 20 * 20) * 2)
        let first: [Float] = [4, 4, 16, 16].map { $0 / 640 }
        let last: [Float] = [624, 624, 512, 512].map { $0 / 640 }
        assertAllClose(Array(p.prefix(4)), first, tolerance: 1e-7)
        assertAllClose(Array(p.suffix(4)), last, tolerance: 1e-7)
    }

    /// Same face count; boxes and landmarks within 0.5 px, scores within 2e-3.
    func testDetectionsMatchReferencePipeline() throws {
        let detector = try RetinaFace.detector(contentsOf: try TestData.shared("weights/retinaface/retinaface_mbnet0.25.onnx"))
        let worst = try FaceDetectionFixture.compare(detector, key: "retinaface", pixelTolerance: 0.5, scoreTolerance: 2e-3)
        print("RetinaFace detector end to end: max coordinate error \(worst.pixels) px, max score error \(worst.score)")
    }
}
