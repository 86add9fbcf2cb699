import Foundation
import XCTest
import ZooTestSupport
@testable import ZooEval

/// The `--output-json` document, the per-class table and the PR plot on the golden COCO case.
final class EvalReportTests: XCTestCase {
    func golden() throws -> (GroundTruth, [ResultDetection]) {
        let gt = try COCODatasetReader.read(TestData.shared("coco-eval/sampled_gts_bbox_area.json"))
        return (gt, try COCOResults.read(TestData.shared("coco-eval/cocoapi_results.json")).aligned(to: gt).detections)
    }

    func testJSONDocument() throws {
        let (gt, dets) = try golden()
        let e = try COCOEvaluator().evaluate(groundTruth: gt, detections: dets)
        let report = EvalReport(e)
        let obj = try JSONSerialization.jsonObject(with: report.jsonData()) as! [String: Any]
        XCTAssertEqual(Set(obj.keys), ["stats", "stats_array", "per_class", "protocol", "n_images"])
        XCTAssertEqual(obj["protocol"] as? String, "coco")
        XCTAssertEqual(obj["n_images"] as? Int, 100)
        let array = try XCTUnwrap(obj["stats_array"] as? [Double])
        XCTAssertEqual(array.count, 12)
        for (a, b) in zip(array, e.stats) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        let named = try XCTUnwrap(obj["stats"] as? [String: Double])
        XCTAssertEqual(named.count, 12)
        XCTAssertEqual(named["AP"] ?? -9, e.stats[0], accuracy: 1e-12)
        XCTAssertEqual(named["AP50"] ?? -9, e.stats[1], accuracy: 1e-12)
        XCTAssertEqual(named["ARl"] ?? -9, e.stats[11], accuracy: 1e-12)
        let per = obj["per_class"] as! [String: [String: Any]]
        XCTAssertEqual(per.count, 80)
        let person = try XCTUnwrap(per["person"])
        XCTAssertEqual(person["n_gt"] as? Int, 250)
        XCTAssertEqual(person["n_det"] as? Int, 201)
        // A class's AP is the mean of its precision entries: the mean over classes (all > -1 here) of those
        // with ground truth reproduces stats[0] (pycocotools averages over classes × IoUs × recall points).
        let aps = e.perClass.filter { $0.ap > -1 }.map(\.ap)
        XCTAssertEqual(aps.reduce(0, +) / Double(aps.count), e.stats[0], accuracy: 1e-9)
        XCTAssertTrue(report.classTable.contains("person"))
    }

    /// With maxDets [1, 10, 300] pycocotools' first number is -1 (it looks for maxDets == 100); the report says
    /// what AP is at the configured limit.
    func testCustomMaxDetsNote() throws {
        let (gt, dets) = try golden()
        let e = try COCOEvaluator(params: COCOEvalParams(maxDets: 300)).evaluate(groundTruth: gt, detections: dets)
        XCTAssertEqual(e.stats[0], -1)
        XCTAssertEqual(e.summarize(precision: true, maxDets: 300), 0.503647, accuracy: 1e-6)
        XCTAssertTrue(EvalReport(e).summaryText.contains("maxDets=300 ] = 0.504"))
    }

    func testVOCReportAndPlot() throws {
        let (gt, dets) = try golden()
        let v = try VOCEvaluator(metric: .voc07).evaluate(groundTruth: gt, detections: dets)
        let report = EvalReport(v)
        XCTAssertEqual(report.protocolName, "voc07")
        XCTAssertEqual(report.stats, [v.mAP])
        let curves = PRCurve.curves(v)
        XCTAssertEqual(curves.first?.name, "all")
        XCTAssertEqual(curves.count, 1 + v.perClass.filter { $0.ap != nil }.count)
        for c in curves.dropFirst() {
            XCTAssertTrue(zip(c.precision, c.precision.dropFirst()).allSatisfy { $0 >= $1 }, "envelope is monotone")
        }
        let img = PRCurvePlot.render(PRCurve.curves(try COCOEvaluator().evaluate(groundTruth: gt, detections: dets)), title: "t")
        XCTAssertGreaterThan(img.height, 600)
        // Ink was drawn: not every pixel is white.
        XCTAssertTrue(img.pixels.contains { $0 < 128 })
    }
}
