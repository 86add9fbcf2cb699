import Foundation
import XCTest
import ZooImage
import ZooTestSupport
@testable import ZooEval

/// `vz eval --task segmentation` against a NumPy reference (scripts/make_segmentation_fixtures.py): palette and gray
/// PNG label maps (4- and 8-bit), an ignore border, an absent class, out-of-range predictions. Tolerance 1e-12
/// (the same integer histogram; the divisions in float64).
final class SegmentationEvalTests: XCTestCase {
    struct Expected: Decodable {
        var pixel_accuracy: Double, mean_accuracy: Double, mean_iou: Double, frequency_weighted_iou: Double
        var per_class_iou: [Double?], per_class_accuracy: [Double?]
        var classes: Int
    }

    func testMetricsMatchNumPy() throws {
        let dir = TestData.fixture("eval/segmentation")
        let want = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let r = try SegmentationEvaluator().evaluate(predictions: dir.appendingPathComponent("pred"), truth: dir.appendingPathComponent("truth"))
        XCTAssertEqual(r.classCount, want.classes)
        XCTAssertEqual(r.imageCount, 5)
        XCTAssertEqual(r.pixelAccuracy, want.pixel_accuracy, accuracy: 1e-12)
        XCTAssertEqual(r.meanAccuracy, want.mean_accuracy, accuracy: 1e-12)
        XCTAssertEqual(r.meanIoU, want.mean_iou, accuracy: 1e-12)
        XCTAssertEqual(r.frequencyWeightedIoU, want.frequency_weighted_iou, accuracy: 1e-12)
        for k in 0..<want.classes {
            XCTAssertEqual(r.classIoU[k] == nil, want.per_class_iou[k] == nil, "class \(k)")
            if let a = r.classIoU[k], let b = want.per_class_iou[k] { XCTAssertEqual(a, b, accuracy: 1e-12) }
            XCTAssertEqual(r.classAccuracy[k] == nil, want.per_class_accuracy[k] == nil, "class \(k)")
            if let a = r.classAccuracy[k], let b = want.per_class_accuracy[k] { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
        XCTAssertTrue(r.text.contains("mean IoU"), r.text)
    }

    func testLabelMapsKeepIndices() throws {
        // A palette PNG's pixels are its indices, not its colours.
        let data = try Data(contentsOf: TestData.fixture("eval/segmentation/truth/img0.png"))
        let map = try LabelMap.decode(data, name: "img0.png")
        XCTAssertEqual(Set(map.labels), [0, 1, 2, 3, 5, 255])
        // An RGB PNG is refused with a message naming the file.
        let rgb = try Data(contentsOf: TestData.fixture("image/corpus/png_rgb8.png"))
        XCTAssertThrowsError(try LabelMap.decode(rgb, name: "rgb.png")) { e in
            XCTAssertTrue("\(e)".contains("rgb.png") && "\(e)".contains("gray or palette"), "\(e)")
        }
    }

    func testMissingAndMisSizedPredictionsAreNamed() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("vz-seg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let dir = TestData.fixture("eval/segmentation")
        try FileManager.default.copyItem(at: dir.appendingPathComponent("truth/img1.png"), to: tmp.appendingPathComponent("img0.png"))
        XCTAssertThrowsError(try SegmentationEvaluator().evaluate(predictions: tmp, truth: dir.appendingPathComponent("truth"))) { e in
            XCTAssertTrue("\(e)".contains("img0.png") && "\(e)".contains("64x48"), "\(e)")
        }
    }
}
