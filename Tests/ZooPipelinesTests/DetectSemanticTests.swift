import Foundation
import XCTest
import ZooDetect
import ZooImage
import ZooModels
import ZooPipelines
import ZooTestSupport

/// yolov3-tiny end to end on real photos, against OpenCV DNN 4.14 with the same preprocessing
/// (Tests/Fixtures/darknet/detections.json from scripts/make_darknet_fixtures.py).
final class DetectSemanticTests: XCTestCase {
    struct Reference: Decodable {
        struct Det: Decodable { var label: String; var class_id: Int; var score: Float; var box: [Float] }
        struct Result: Decodable { var width: Int; var height: Int; var detections: [Det] }
        var images: [String: [String: Result]]
    }

    func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: TestData.fixture("darknet/detections.json")))
    }

    func testDogAndPersonFindTheRightObjects() throws {
        let det = try DetectTestSupport.detector()
        let dog = try det.detect(contentsOf: try TestData.shared("images/detect/dog.jpg"))
        let dogLabels = Set(dog.detections.map { $0.label ?? "" })
        XCTAssertTrue(dogLabels.isSuperset(of: ["dog", "bicycle"]), "\(dogLabels)")
        XCTAssertFalse(dogLabels.isDisjoint(with: ["car", "truck"]), "\(dogLabels)")
        XCTAssertEqual(dog.width, 768); XCTAssertEqual(dog.height, 576)
        let person = try det.detect(contentsOf: try TestData.shared("images/detect/person.jpg"))
        let personLabels = Set(person.detections.map { $0.label ?? "" })
        XCTAssertTrue(personLabels.isSuperset(of: ["person", "dog"]), "\(personLabels)")
        for r in [dog, person] {
            for d in r.detections {
                XCTAssertGreaterThan(d.score, 0.25)
                XCTAssertTrue(d.box.x1 >= 0 && d.box.y1 >= 0 && d.box.x2 <= Float(r.width) && d.box.y2 <= Float(r.height)
                              && d.box.x1 < d.box.x2 && d.box.y1 < d.box.y2, "box \(d.box) inside \(r.width)x\(r.height)")
            }
        }
    }

    func testYoloFastestXLFindsTheSameObjects() throws {
        let det = try DetectTestSupport.detector("yolo-fastest-1.1-xl")
        let dog = Set(try det.detect(contentsOf: try TestData.shared("images/detect/dog.jpg")).detections.compactMap(\.label))
        XCTAssertTrue(dog.isSuperset(of: ["dog", "bicycle", "car"]), "\(dog)")
        let person = Set(try det.detect(contentsOf: try TestData.shared("images/detect/person.jpg")).detections.compactMap(\.label))
        XCTAssertTrue(person.isSuperset(of: ["person", "dog"]), "\(person)")
    }

    /// Boxes within 3 px and scores within 0.02 of OpenCV DNN for every reference detection scoring > 0.3
    /// (OpenCV decodes the JPEG with its own libjpeg build: a few grey levels differ, hence px-level tolerance).
    func testMatchesOpenCVWithSamePreprocessing() throws {
        let ref = try reference()
        for (mode, resize) in [("letterbox", ModelInput.Resize.letterbox), ("stretch", .stretch)] {
            let det = try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(resize: resize, multiLabel: true))
            for image in ["dog.jpg", "person.jpg"] {
                let ours = try det.detect(contentsOf: try TestData.shared("images/detect/" + image))
                let theirs = try XCTUnwrap(ref.images[image]?[mode])
                var worstBox: Float = 0
                for r in theirs.detections where r.score > 0.3 {
                    let rb = Box(x1: r.box[0], y1: r.box[1], x2: r.box[2], y2: r.box[3])
                    let match = ours.detections.filter { $0.classID == r.class_id }.max { $0.box.iou(rb) < $1.box.iou(rb) }
                    guard let m = match else { XCTFail("\(image) \(mode): OpenCV's \(r.label) \(r.score) not found"); continue }
                    let diff = zip(m.box.corners, r.box).map { abs($0 - $1) }.max()!
                    worstBox = max(worstBox, diff)
                    XCTAssertLessThanOrEqual(diff, 3, "\(image) \(mode) \(r.label): \(m.box.corners) vs \(r.box)")
                    XCTAssertEqual(m.score, r.score, accuracy: 0.02, "\(image) \(mode) \(r.label)")
                }
                print("vs OpenCV \(image) \(mode): worst corner diff \(worstBox) px, \(ours.detections.count) vs \(theirs.detections.count) detections")
            }
        }
    }

    func testOptionsClassesAgnosticMaxDetAndSize() throws {
        let url = try TestData.shared("images/detect/dog.jpg")
        let all = try DetectTestSupport.detector().detect(contentsOf: url)
        let onlyDog = try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(classes: ["dog"])).detect(contentsOf: url)
        XCTAssertEqual(Set(onlyDog.detections.compactMap(\.label)), ["dog"])
        let one = try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(maxDetections: 1)).detect(contentsOf: url)
        XCTAssertEqual(one.detections.count, 1)
        XCTAssertEqual(one.detections[0].score, all.detections[0].score)
        // dog.jpg has car and truck on the same box (multi-label decoding): class-aware NMS keeps both, agnostic
        // keeps one.
        let multi = try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(multiLabel: true)).detect(contentsOf: url)
        let agn = try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(agnostic: true, multiLabel: true)).detect(contentsOf: url)
        XCTAssertLessThan(agn.detections.count, multi.detections.count)
        for (i, a) in agn.detections.enumerated() {
            for b in agn.detections[(i + 1)...] { XCTAssertLessThanOrEqual(a.box.iou(b.box), 0.45 + 1e-4) }
        }
        let big = try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(size: 608)).detect(contentsOf: url)
        XCTAssertTrue(Set(big.detections.compactMap(\.label)).isSuperset(of: ["dog", "bicycle"]))
        XCTAssertThrowsError(try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(size: 300))) { e in
            XCTAssertTrue("\(e)".contains("multiple of 32"), "\(e)")
        }
        XCTAssertThrowsError(try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(classes: ["unicorn"]))) { e in
            XCTAssertTrue("\(e)".contains("unicorn"), "\(e)")
        }
    }

    /// Issue 15 item 1: COCO names out (yolov3-tiny's coco.names spells them darknet's way), `--classes` by name in
    /// any case and either spelling or by id, unknown names listed, an empty selection refused, and one label per
    /// box by default (dog.jpg's truck box also scored as car under multi-label decoding).
    func testCOCONamesClassSelectionAndOneLabelPerBox() throws {
        let url = try TestData.shared("images/detect/dog.jpg")
        let det = try DetectTestSupport.detector()
        XCTAssertEqual(det.classes.names, COCOClassNames.names)
        XCTAssertEqual(det.classes.modelNames[3], "motorbike")
        let single = try det.detect(contentsOf: url).detections
        let multi = try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(multiLabel: true)).detect(contentsOf: url).detections
        XCTAssertGreaterThan(multi.count, single.count)
        for (i, a) in single.enumerated() {
            for b in single[(i + 1)...] { XCTAssertFalse(a.box == b.box, "\(a.label ?? "") and \(b.label ?? "") label one box") }
        }
        // A single-label detection is the best-scoring class of its box among the multi-label run's (where that
        // box survived NMS there), and the truck box is labelled once.
        for d in single {
            let same = multi.filter { $0.box == d.box }
            if !same.isEmpty { XCTAssertEqual(d.score, same.map(\.score).max(), "\(d.label ?? "")") }
        }
        XCTAssertTrue(multi.contains { m in m.label == "car" && multi.contains { $0.label == "truck" && $0.box == m.box } })
        let names = ["Dog", "motorbike", "TV", "dining table", "diningtable", "16", "0"]
        XCTAssertEqual(try det.classes.resolve(names, model: "yolov3-tiny"), [16, 3, 62, 60, 0])
        XCTAssertThrowsError(try det.classes.resolve(["unicorn"], model: "yolov3-tiny")) { e in
            XCTAssertTrue("\(e)".contains("'unicorn'") && "\(e)".contains("motorcycle, airplane"), "\(e)")
        }
        XCTAssertThrowsError(try det.classes.resolve(["80"], model: "yolov3-tiny")) { e in XCTAssertTrue("\(e)".contains("0...79"), "\(e)") }
        XCTAssertThrowsError(try det.classes.resolve([""], model: "yolov3-tiny")) { e in XCTAssertTrue("\(e)".contains("names no class"), "\(e)") }
        let bikes = try DetectTestSupport.detector("yolov3-tiny", DetectorOptions(classes: ["Bicycle", "1"])).detect(contentsOf: url)
        XCTAssertEqual(Set(bikes.detections.compactMap(\.label)), ["bicycle"])
        // A model whose names are not COCO's keeps them.
        XCTAssertEqual(DetectorClasses(modelNames: ["aeroplane", "sofa"]).names, ["aeroplane", "sofa"])
    }

    func testJSONLineIsTheDocumentedObject() throws {
        let det = try DetectTestSupport.detector()
        let r = try det.detect(contentsOf: try TestData.shared("images/detect/person.jpg"))
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.jsonLine.utf8)) as? [String: Any])
        XCTAssertEqual(Set(obj.keys), ["image", "width", "height", "model", "timings_ms", "precision", "detections"])
        XCTAssertEqual(obj["model"] as? String, "yolov3-tiny")
        XCTAssertEqual(obj["precision"] as? String, "fp32")
        XCTAssertEqual(Set((obj["timings_ms"] as? [String: Any] ?? [:]).keys), ["decode", "preprocess", "inference", "postprocess"])
        let dets = try XCTUnwrap(obj["detections"] as? [[String: Any]])
        XCTAssertEqual(dets.count, r.detections.count)
        XCTAssertEqual(Set(dets[0].keys), ["label", "class_id", "score", "box"])
        XCTAssertEqual((dets[0]["box"] as? [Double])?.count, 4)
        XCTAssertTrue(r.jsonLine.hasPrefix("{\"image\": "))
        XCTAssertNoThrow(try JSONSerialization.data(withJSONObject: r.jsonObject))
        XCTAssertEqual(r.rows(.csv).count, r.detections.count)
        XCTAssertEqual(r.rows(.tsv).count, r.detections.count)
    }

    /// Issue 15 item 3: csv/tsv rows parse back whatever the path or label holds, and an image with no
    /// detections still yields a row.
    func testTableRowsQuoteAndNeverDropAnImage() {
        var d = Detection(box: Box(x1: 1, y1: 2.5, x2: 30, y2: 40), score: 0.91234567, classID: 9)
        d.label = "traffic light"
        let r = DetectorResult(image: "my dir/a,\"b\"\tc.jpg", width: 64, height: 48, model: "m", timings: .init(), detections: [d])
        XCTAssertEqual(r.rows(.csv), ["\"my dir/a,\"\"b\"\"\tc.jpg\",64,48,traffic light,9,0.91235,1,2.5,30,40"])
        XCTAssertEqual(r.rows(.tsv), ["my dir/a,\"b\"\\tc.jpg\t64\t48\ttraffic light\t9\t0.91235\t1\t2.5\t30\t40"])
        XCTAssertEqual(DetectorResult.header(.tsv).split(separator: "\t").count, 10)
        let empty = DetectorResult(image: "e.png", width: 4, height: 4, model: "m", timings: .init(), detections: [])
        XCTAssertEqual(empty.rows(.csv), ["e.png,4,4,,,,,,,"])
        XCTAssertEqual(empty.rows(.tsv)[0].split(separator: "\t", omittingEmptySubsequences: false).count, 10)
    }

    func testBadBytesAreAClearError() throws {
        let det = try DetectTestSupport.detector()
        XCTAssertThrowsError(try det.detect(data: Data("not an image".utf8), name: "junk.jpg")) { e in
            XCTAssertTrue("\(e)".contains("junk.jpg"), "\(e)")
        }
        XCTAssertThrowsError(try det.detect(contentsOf: URL(fileURLWithPath: "/nonexistent.jpg"))) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent.jpg"), "\(e)")
        }
    }
}
