import Foundation
import XCTest
import ZooTestSupport
@testable import ZooEval

/// `vz eval`'s operating point and confusion matrix against Ultralytics 8.3 itself
/// (scripts/make_operating_point_fixtures.py: 40 random images, 6 classes, duplicates, confusions, background FPs).
/// Tolerance: P/R/F1 within 1e-12 (the same float64 arithmetic; only summation order may differ), the chosen
/// confidence, tp/fp counts and every confusion-matrix cell exactly.
final class OperatingPointTests: XCTestCase {
    struct Fixture: Decodable {
        struct Expected: Decodable {
            var confidence: Double
            var classes: [Int]
            var precision: [Double], recall: [Double], f1: [Double], tp: [Double], fp: [Double]
            var confusion_matrix: [[Int]]
        }
        var expected: Expected
    }

    func load() throws -> (GroundTruth, [ResultDetection], Fixture.Expected) {
        let url = TestData.fixture("eval/operating_point.json")
        let data = try Data(contentsOf: url)
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-op-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gtURL = dir.appendingPathComponent("gt.json"), detURL = dir.appendingPathComponent("det.json")
        try JSONSerialization.data(withJSONObject: root["ground_truth"]!).write(to: gtURL)
        try JSONSerialization.data(withJSONObject: root["detections"]!).write(to: detURL)
        let gt = try COCODatasetReader.read(gtURL)
        let dets = try COCOResults.read(detURL).aligned(to: gt).detections
        return (gt, dets, fixture.expected)
    }

    func testOperatingPointMatchesUltralytics() throws {
        let (gt, dets, want) = try load()
        let op = OperatingPoint(groundTruth: gt, detections: dets)
        XCTAssertEqual(op.confidence, want.confidence, accuracy: 1e-15)
        XCTAssertEqual(op.classes.map(\.category.id), want.classes)
        for (i, row) in op.classes.enumerated() {
            XCTAssertEqual(row.precision, want.precision[i], accuracy: 1e-12, "P of class \(row.category.name)")
            XCTAssertEqual(row.recall, want.recall[i], accuracy: 1e-12, "R of class \(row.category.name)")
            XCTAssertEqual(row.f1, want.f1[i], accuracy: 1e-12, "F1 of class \(row.category.name)")
            XCTAssertEqual(row.tp, want.tp[i], "tp of class \(row.category.name)")
            XCTAssertEqual(row.fp, want.fp[i], "fp of class \(row.category.name)")
        }
        XCTAssertEqual(op.precision, want.precision.reduce(0, +) / Double(want.precision.count), accuracy: 1e-12)
        XCTAssertTrue(op.table.contains("all"), op.table)
    }

    func testConfusionMatrixMatchesUltralytics() throws {
        let (gt, dets, want) = try load()
        let m = ConfusionMatrix(groundTruth: gt, detections: dets)
        let got = (0..<m.size).map { p in (0..<m.size).map { t in m.count(predicted: p, truth: t) } }
        XCTAssertEqual(got, want.confusion_matrix)
        let image = m.render()
        XCTAssertGreaterThan(image.width, 100)
        XCTAssertEqual((m.jsonObject["names"] as? [String])?.last, "background")
    }

    /// Semantic checks without the fixture: a perfect detector has P = R = F1 = 1 and a diagonal matrix.
    func testPerfectDetections() {
        let gt = GroundTruth(images: [EvalImage(id: 1, fileName: "a.jpg", width: 100, height: 100)],
                             categories: [EvalCategory(id: 3, name: "cat"), EvalCategory(id: 5, name: "dog")],
                             annotations: [GTAnnotation(id: 1, imageID: 1, categoryID: 3, x: 10, y: 10, width: 20, height: 20),
                                           GTAnnotation(id: 2, imageID: 1, categoryID: 5, x: 50, y: 50, width: 30, height: 30)])
        let dets = [ResultDetection(imageID: 1, categoryID: 3, x: 10, y: 10, width: 20, height: 20, score: 0.9),
                    ResultDetection(imageID: 1, categoryID: 5, x: 50, y: 50, width: 30, height: 30, score: 0.8)]
        let op = OperatingPoint(groundTruth: gt, detections: dets)
        XCTAssertEqual(op.precision, 1, accuracy: 1e-12)
        XCTAssertEqual(op.recall, 1, accuracy: 1e-9)
        let m = ConfusionMatrix(groundTruth: gt, detections: dets)
        XCTAssertEqual(m.count(predicted: 0, truth: 0), 1)
        XCTAssertEqual(m.count(predicted: 1, truth: 1), 1)
        XCTAssertEqual(m.counts.reduce(0, +), 2)
    }
}
