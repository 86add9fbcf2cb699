import Foundation
import XCTest
import ZooTestSupport
@testable import ZooEval

/// The golden case of ../shared/data/coco-eval: 100 COCO val2014 images, 734 detections, and the 12 numbers
/// pycocotools 2.0.11 prints (EXPECTED_pycocotools.txt, 6 decimals, so the tolerance is 1e-6).
final class COCOGoldenTests: XCTestCase {
    func expected() throws -> [Double] {
        let text = try String(contentsOf: TestData.shared("coco-eval/EXPECTED_pycocotools.txt"), encoding: .utf8)
        let keys = ["AP", "AP50", "AP75", "APsmall", "APmedium", "APlarge", "AR1", "AR10", "AR100", "ARsmall",
                    "ARmedium", "ARlarge"]
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
        }
        return try keys.map { k in try XCTUnwrap(values[k], "EXPECTED_pycocotools.txt lacks \(k)") }
    }

    func check(results file: String) throws {
        let gt = try COCODatasetReader.read(TestData.shared("coco-eval/sampled_gts_bbox_area.json"))
        XCTAssertEqual(gt.images.count, 100)
        XCTAssertEqual(gt.annotations.count, 830)
        let results = try COCOResults.read(TestData.shared("coco-eval/\(file)"))
        let aligned = try results.aligned(to: gt)
        XCTAssertEqual(aligned.detections.count, 734)
        let eval = try COCOEvaluator().evaluate(groundTruth: gt, detections: aligned.detections)
        let stats = eval.stats, want = try expected()
        for i in 0..<12 { XCTAssertEqual(stats[i], want[i], accuracy: 1e-6, "stat \(i) (\(file))") }
    }

    func testPlainListResults() throws { try check(results: "cocoapi_results.json") }

    func testDictWrappedResults() throws { try check(results: "sampled_bbox_results.json") }

    func testSummaryLayout() throws {
        let gt = try COCODatasetReader.read(TestData.shared("coco-eval/sampled_gts_bbox_area.json"))
        let dets = try COCOResults.read(TestData.shared("coco-eval/cocoapi_results.json")).aligned(to: gt).detections
        let text = try COCOEvaluator().evaluate(groundTruth: gt, detections: dets).summaryText
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 12)
        XCTAssertEqual(String(lines[0]), " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.504")
        XCTAssertEqual(String(lines[6]), " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.387")
        XCTAssertEqual(String(lines[1]), " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.697")
    }
}
