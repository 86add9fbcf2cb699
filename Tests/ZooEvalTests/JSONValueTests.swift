import Foundation
import XCTest
@testable import ZooEval

/// The fast JSON reader against Foundation (structure) and Swift's correctly rounded `Double(String)` (numbers).
final class JSONValueTests: XCTestCase {
    func testNumbersAreCorrectlyRounded() throws {
        var rng = SystemRandomNumberGenerator()
        var texts: [String] = ["0", "-0", "1", "-1", "258.15", "0.1", "0.30000000000000004", "1e10", "1E-5", "-2.5e+3",
                               "123456789012345678901234567890", "0.000000000000000000000001234", "9007199254740993",
                               "4.9e-324", "1.7976931348623157e308", "30584.615600000005", "1024", "0.95"]
        for _ in 0..<4000 {
            let v = Double.random(in: -1e6...1e6, using: &rng)
            let digits = Int.random(in: 0...17, using: &rng)
            texts.append(String(format: "%.\(digits)f", v))
            texts.append(String(format: "%.\(digits)e", v))
            texts.append("\(v)")
        }
        let doc = "[" + texts.joined(separator: ",") + "]"
        guard case .array(let items) = try JSONValue.parse(Data(doc.utf8)) else { return XCTFail("not an array") }
        XCTAssertEqual(items.count, texts.count)
        for (t, item) in zip(texts, items) {
            guard case .number(let got) = item else { return XCTFail("\(t) not a number") }
            let want = try XCTUnwrap(Double(t))
            XCTAssertEqual(got.bitPattern, want.bitPattern, "\(t): \(got) vs \(want)")
        }
    }

    func testStructureMatchesFoundation() throws {
        let doc = #"{"a": [1, 2.5, {"b": null, "c": true, "d": false}], "s": "x\"y\\z\/\n\t\u00e9\ud83d\ude00 é", "e": {}, "f": []}"#
        let v = try JSONValue.parse(Data(doc.utf8))
        let f = try JSONSerialization.jsonObject(with: Data(doc.utf8)) as! [String: Any]
        guard case .string(let s)? = v["s"] else { return XCTFail() }
        XCTAssertEqual(s, f["s"] as? String)
        XCTAssertEqual(s, "x\"y\\z/\n\té😀 é")
        guard case .array(let a)? = v["a"], a.count == 3, case .number(2.5) = a[1], case .bool(true)? = a[2]["c"],
              case .null? = a[2]["b"], case .object(let e)? = v["e"], e.isEmpty, case .array(let fa)? = v["f"], fa.isEmpty else {
            return XCTFail("structure")
        }
    }

    func testSyntaxErrorsNameLineAndColumn() {
        let bad: [(String, String)] = [
            ("[1, 2", "end of file"), ("{\"a\": 1,\n \"b\" 2}", "line 2"), ("[1] x", "after the JSON value"),
            ("[01]", "leading zero"), ("[\"a\\q\"]", "escape"), ("[1.]", "after '.'"), ("[tru]", "literal"),
            ("\"abc", "unterminated"), (String(repeating: "[", count: 600), "nested deeper than 64 levels"), ("", "end of file"),
        ]
        for (text, part) in bad {
            XCTAssertThrowsError(try JSONValue.parse(Data(text.utf8)), text) { error in
                XCTAssertTrue("\(error)".contains(part), "'\(error)' lacks '\(part)' for \(text)")
            }
        }
    }

    func testResultsWriterRoundTrip() throws {
        var rng = SystemRandomNumberGenerator()
        let dets = (0..<500).map { i in
            ResultDetection(imageID: i % 7, categoryID: i % 3 + 1, x: Double.random(in: 0...600, using: &rng),
                            y: Double(i), width: Double.random(in: 0...100, using: &rng), height: 0.1 * Double(i),
                            score: Double.random(in: 0...1, using: &rng))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zooeval-rt-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try COCOResultsWriter.write(dets, to: url)
        let back = try COCOResults.read(url)
        XCTAssertEqual(back.entries.count, dets.count)
        for (d, e) in zip(dets, back.entries) {
            XCTAssertEqual(e.image, .id(d.imageID)); XCTAssertEqual(e.categoryID, d.categoryID)
            XCTAssertEqual([e.x, e.y, e.width, e.height, e.score], [d.x, d.y, d.width, d.height, d.score])
        }
    }

    /// Issue 15 item 5: results saved against VOC/YOLO ground truth (reader-assigned ids) carry their images and
    /// categories, so they map onto another ground truth of the same images with other ids and names spelled the
    /// VOC or COCO way — instead of silently scoring AP 0 against wrong images.
    func testSelfDescribingResultsMapByFileAndClassName() throws {
        let vocImages = [EvalImage(id: 1, fileName: "a.jpg", width: 100, height: 80), EvalImage(id: 2, fileName: "b w.jpg", width: 50, height: 50)]
        let vocCats = [EvalCategory(id: 1, name: "aeroplane"), EvalCategory(id: 2, name: "dog")]
        let dets = [ResultDetection(imageID: 1, categoryID: 1, x: 1, y: 2, width: 30, height: 40, score: 0.9),
                    ResultDetection(imageID: 2, categoryID: 2, x: 5, y: 6, width: 7, height: 8, score: 0.5)]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zooeval-sd-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try COCOResultsWriter.write(dets, to: url, images: vocImages, categories: vocCats)
        let coco = GroundTruth(images: [EvalImage(id: 42, fileName: "b w.jpg", width: 50, height: 50),
                                        EvalImage(id: 7, fileName: "a.jpg", width: 100, height: 80)],
                               categories: [EvalCategory(id: 5, name: "airplane"), EvalCategory(id: 18, name: "dog")], annotations: [])
        let aligned = try COCOResults.read(url).aligned(to: coco)
        XCTAssertEqual(aligned.detections.map(\.imageID), [7, 42])
        XCTAssertEqual(aligned.detections.map(\.categoryID), [5, 18])
        XCTAssertEqual(aligned.detections.map(\.score), [0.9, 0.5])
        // The plain list (COCO ground truth) stays pycocotools' loadRes input.
        try COCOResultsWriter.write(dets, to: url)
        XCTAssertTrue(String(decoding: try Data(contentsOf: url), as: UTF8.self).hasPrefix("[{"))
    }
}
