import Foundation
import XCTest
import ZooDetect
import ZooImage
import ZooModels
@testable import ZooPipelines
import ZooTensor
import ZooTestSupport

/// Issue 14, items 1–2 at the pipeline's depth: option ranges checked before allocation, post-processing
/// bounded whatever `conf` is, buffers of one-off sizes released, and forward passes interruptible.
final class DetectBoundsTests: XCTestCase {
    /// A fresh yolov3-tiny (not the shared cached instance: these tests inspect its buffer plans).
    func freshModel() throws -> SingleStageDetector {
        let entry = try ModelZoo.entry(named: "yolov3-tiny")
        guard let folder = DetectTestSupport.store.locate(entry.card), case .detector(let make) = entry.factory else {
            throw XCTSkip("weights for yolov3-tiny not found (run `vz weights pull yolov3-tiny`): skipped")
        }
        return try XCTUnwrap(try make(folder, entry.card) as? SingleStageDetector)
    }

    static let gray = Image(width: 1, height: 1, pixels: [128, 128, 128])

    /// `size=65536` used to abort the process allocating 51.5 GB; every out-of-range option is now an error
    /// before any buffer exists.
    func testOutOfRangeOptionsAreErrors() throws {
        let model = try DetectTestSupport.model("yolov3-tiny")
        for size in [65536, 4096, 2080, 0, -32, 16, 100] {
            XCTAssertThrowsError(try Detector(model: model, options: DetectorOptions(size: size)), "size \(size)") { e in
                XCTAssertTrue("\(e)".contains("32...2048"), "\(e)")
            }
        }
        XCTAssertNoThrow(try Detector(model: model, options: DetectorOptions(size: 2048)))
        XCTAssertNoThrow(try Detector(model: model, options: DetectorOptions(size: 32)))
        for o in [DetectorOptions(maxDetections: 100_000), DetectorOptions(maxDetections: -1),
                  DetectorOptions(confidence: 1.5), DetectorOptions(confidence: .nan), DetectorOptions(iou: -0.1)] {
            XCTAssertThrowsError(try Detector(model: model, options: o)) { e in XCTAssertTrue("\(e)".contains("range"), "\(e)") }
        }
    }

    /// `conf=0` at a large input used to take 105 s in NMS (millions of candidates) and 1.1 GB; now at most
    /// `DetectorLimits.maxCandidates` reach NMS. The bound here is loose (shared 2-core CI machine): the
    /// point is minutes → seconds.
    func testConfZeroIsBounded() throws {
        let d = try Detector(model: try DetectTestSupport.model("yolov3-tiny"),
                             options: DetectorOptions(confidence: 0, maxDetections: 10_000, size: 1664))
        let t0 = ContinuousClock.now
        let r = try d.detect(Self.gray)
        let elapsed = ContinuousClock.now - t0
        XCTAssertLessThanOrEqual(r.detections.count, 10_000)
        XCTAssertGreaterThan(r.detections.count, 1000)
        XCTAssertLessThan(r.timings.postprocess, 3000, "NMS over at most \(DetectorLimits.maxCandidates) candidates")
        XCTAssertLessThan(elapsed, .seconds(30))
        let scores = r.detections.map(\.score)
        XCTAssertEqual(scores, scores.sorted(by: >))
    }

    /// At the default threshold the cap is far away: the same detections as with no cap (the full
    /// candidate list through the same NMS).
    func testCapDoesNotChangeNormalResults() throws {
        let model = try DetectTestSupport.model("yolov3-tiny") as! SingleStageDetector
        let d = try Detector(model: model, options: DetectorOptions(multiLabel: true))
        let image = try ImageDecoder.decode(contentsOf: try TestData.shared("images/detect/dog.jpg"))
        let r = try d.detect(image)
        let (tensor, transform) = d.preprocess(image)
        let outputs = try model.darknet.forward(tensor)
        let all = YOLOHead.candidates(outputs, inputWidth: 416, inputHeight: 416, confidence: 0.25)
        XCTAssertLessThan(all.count, DetectorLimits.maxCandidates)
        let expected = NMS.suppress(all, threshold: 0.45, maxDetections: 300).map { transform.toOriginal($0.box) }
        XCTAssertEqual(r.detections.map(\.box), expected)
    }

    /// Buffers of one-off input sizes do not accumulate: at most `maxCachedPlans` shapes are planned, and
    /// `releaseTransientBuffers` (what the service calls after a `size=` request) keeps only the default.
    func testPlansAreBoundedAndReleased() throws {
        let model = try freshModel()
        for size in [320, 480, 640, 416] {
            _ = try Detector(model: model, options: DetectorOptions(size: size)).detect(Self.gray)
            XCTAssertLessThanOrEqual(model.darknet.plannedShapes.count, DarknetNetwork.maxCachedPlans)
        }
        let odd = try Detector(model: model, options: DetectorOptions(size: 640))
        _ = try odd.detect(Self.gray)
        XCTAssertTrue(model.darknet.plannedShapes.contains([1, 3, 640, 640]))
        odd.releaseTransientBuffers()
        XCTAssertEqual(model.darknet.plannedShapes, [[1, 3, 416, 416]])
        // A detector at the default size keeps its buffers.
        let normal = try Detector(model: model)
        _ = try normal.detect(Self.gray)
        normal.releaseTransientBuffers()
        XCTAssertEqual(model.darknet.plannedShapes, [[1, 3, 416, 416]])
    }

    /// A raised flag stops a forward pass between layers: a 2048² pass (seconds) interrupted after 100 ms
    /// returns within a bounded time, and work without a flag is untouched.
    func testForwardIsInterruptible() throws {
        let d = try Detector(model: try freshModel(), options: DetectorOptions(size: 2048))
        let already = InterruptFlag()
        already.raise("test")
        XCTAssertThrowsError(try Interruption.run(with: already) { try d.detect(Self.gray) }) { e in
            XCTAssertTrue(e is Interrupted, "\(e)")
        }
        XCTAssertNil(Interruption.current, "flag uninstalled after run")

        let flag = InterruptFlag()
        let t0 = ContinuousClock.now
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { flag.raise("deadline") }
        XCTAssertThrowsError(try Interruption.run(with: flag) { try d.detect(Self.gray) }) { e in
            XCTAssertEqual((e as? Interrupted)?.reason, "deadline")
        }
        let stoppedAfter = ContinuousClock.now - t0
        XCTAssertLessThan(stoppedAfter, .seconds(2), "stopped within about one layer of the raise")
        XCTAssertNoThrow(try d.detect(Self.gray))
    }
}

extension SingleStageDetector {
    /// The darknet trunk of a darknet detector (its planned buffers).
    var darknet: DarknetNetwork { backbone as! DarknetNetwork }
}
