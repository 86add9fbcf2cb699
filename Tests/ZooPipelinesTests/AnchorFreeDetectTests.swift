import Foundation
import XCTest
import ZooDetect
import ZooModels
import ZooPipelines
import ZooTestSupport

/// The anchor-free detectors end to end on ../shared/data/images/detect against each model's own pre/post-
/// processing re-implemented over onnxruntime (Tests/Fixtures/detect/anchor_free_detections.json from
/// scripts/make_anchor_free_fixtures.py).
final class AnchorFreeDetectTests: XCTestCase {
    struct Reference: Decodable {
        struct Det: Decodable { var class_id: Int; var score: Float; var box: [Float] }
        struct Result: Decodable { var width: Int; var height: Int; var detections: [Det] }
        var conf: Float
        var iou: Float
        var models: [String: [String: Result]]
    }

    /// Same detections in the same order: same classes, corners within 1 px, scores within 1e-3 (JPEG/PNG
    /// decoding and the INTER_LINEAR resize are bit-exact with OpenCV; what remains is float32 summation order).
    func check(_ model: String) throws {
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: TestData.fixture("detect/anchor_free_detections.json")))
        let images = try XCTUnwrap(ref.models[model])
        let det = try Detector(model: try DetectTestSupport.model(model), options: DetectorOptions(confidence: ref.conf, iou: ref.iou, multiLabel: true))
        var worstBox: Float = 0, worstScore: Float = 0
        for (name, r) in images.sorted(by: { $0.key < $1.key }) {
            let ours = try det.detect(contentsOf: try TestData.shared("images/detect/" + name))
            XCTAssertEqual(ours.width, r.width); XCTAssertEqual(ours.height, r.height)
            XCTAssertEqual(ours.detections.count, r.detections.count, "\(model) \(name): detection count")
            for (o, t) in zip(ours.detections, r.detections) {
                XCTAssertEqual(o.classID, t.class_id, "\(model) \(name)")
                let d = zip(o.box.corners, t.box).map { abs($0 - $1) }.max()!
                worstBox = max(worstBox, d); worstScore = max(worstScore, abs(o.score - t.score))
                XCTAssertLessThanOrEqual(d, 1, "\(model) \(name): \(o.box.corners) vs \(t.box)")
                XCTAssertEqual(o.score, t.score, accuracy: 1e-3, "\(model) \(name)")
            }
        }
        print("\(model) vs its reference pipeline: worst corner \(worstBox) px, worst score \(worstScore)")
    }

    func testYOLOXNanoMatchesReferencePipeline() throws { try check("yolox-nano") }

    /// FastestDet: class-agnostic NMS as its runtime example (the head declares it; no option needed).
    func testFastestDetMatchesReferencePipeline() throws { try check("fastestdet") }

    /// NanoDet-m: multi-label GFL decoding, class-aware NMS.
    func testNanoDetMatchesReferencePipeline() throws { try check("nanodet-m") }

    /// COCO names, not darknet spellings, and the dog photo's three main objects.
    func testYOLOXNanoLabels() throws {
        let det = try Detector(model: try DetectTestSupport.model("yolox-nano"))
        let dog = Set(try det.detect(contentsOf: try TestData.shared("images/detect/dog.jpg")).detections.compactMap(\.label))
        XCTAssertTrue(dog.isSuperset(of: ["dog", "bicycle", "car"]), "\(dog)")
        XCTAssertTrue(det.model.classNames.contains("motorcycle") && det.model.classNames.contains("tv"))
    }
}
