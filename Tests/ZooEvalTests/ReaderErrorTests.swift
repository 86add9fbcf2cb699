import Foundation
import XCTest
import ZooTestSupport
@testable import ZooEval
import ZooImage

/// Malformed inputs give errors naming the file and the field; class names map VOC ↔ COCO.
final class ReaderErrorTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("zooeval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func assertError(_ body: () throws -> Void, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        do { try body(); XCTFail("no error", file: file, line: line) } catch {
            let text = "\(error)"
            for p in parts { XCTAssertTrue(text.contains(p), "'\(text)' lacks '\(p)'", file: file, line: line) }
        }
    }

    let images = #"{"images":[{"id":1,"file_name":"a.jpg","width":10,"height":10}],"categories":[{"id":1,"name":"dog"}],"#

    func testCOCOErrors() throws {
        let bad1 = try write("bad1.json", images + #""annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,2,3]}]}"#)
        assertError({ _ = try COCODatasetReader.read(bad1) }, contains: ["bad1.json", "annotations[0].bbox"])
        let bad2 = try write("bad2.json", images + #""annotations":[{"id":1,"image_id":7,"category_id":1,"bbox":[1,2,3,4]}]}"#)
        assertError({ _ = try COCODatasetReader.read(bad2) }, contains: ["bad2.json", "annotations[0].image_id", "7"])
        let bad3 = try write("bad3.json", #"{"images":[{"id":"x"}],"categories":[]}"#)
        assertError({ _ = try COCODatasetReader.read(bad3) }, contains: ["bad3.json", "images[0].id"])
        let bad4 = try write("bad4.json", #"{"images": ["#)
        assertError({ _ = try COCODatasetReader.read(bad4) }, contains: ["bad4.json", "not valid JSON"])
        let bad5 = try write("bad5.json", images + #""annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,2,-3,4]}]}"#)
        assertError({ _ = try COCODatasetReader.read(bad5) }, contains: ["bad5.json", "annotations[0].bbox", "negative"])
    }

    func testResultsErrors() throws {
        let gt = try COCODatasetReader.read(write("gt.json", images + #""annotations":[]}"#))
        let r1 = try write("r1.json", #"[{"image_id":1,"category_id":1,"bbox":[0,0,1,1]}]"#)
        assertError({ _ = try COCOResults.read(r1) }, contains: ["r1.json", "[0].score", "missing"])
        let r2 = try write("r2.json", #"[{"image_id":5,"category_id":1,"bbox":[0,0,1,1],"score":0.5}]"#)
        assertError({ _ = try COCOResults.read(r2).aligned(to: gt) }, contains: ["r2.json", "image_id 5"])
        let r3 = try write("r3.json", #"[{"image_id":1,"category_id":9,"bbox":[0,0,1,1],"score":0.5}]"#)
        let a = try COCOResults.read(r3).aligned(to: gt)
        XCTAssertEqual(a.droppedDetections, 1); XCTAssertEqual(a.unmappedClasses, ["category_id 9"])
        XCTAssertThrowsError(try COCOEvaluator().evaluate(groundTruth: gt, detections: [
            ResultDetection(imageID: 3, categoryID: 1, x: 0, y: 0, width: 1, height: 1, score: 1)]))
    }

    func testVOCErrors() throws {
        _ = try write("voc/a.xml", "<annotation><filename>a.jpg</filename><object><name>dog</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>oops</xmax><ymax>5</ymax></bndbox></object></annotation>")
        assertError({ _ = try VOCDatasetReader.read(self.dir.appendingPathComponent("voc")) }, contains: ["a.xml", "object[0].bndbox.xmax", "oops"])
        _ = try write("voc2/b.xml", "<annotation><filename>b.jpg</filename><object><name>dog</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax><ymax>5</ymax></bndbox></object>")
        assertError({ _ = try VOCDatasetReader.read(self.dir.appendingPathComponent("voc2")) }, contains: ["b.xml", "XML"])
        _ = try write("voc3/c.xml", "<annotation><filename>c.jpg</filename><object><name>dog</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax><ymax>5</ymax></bndbox></object></annotation>")
        let gt = try VOCDatasetReader.read(dir.appendingPathComponent("voc3"))
        XCTAssertEqual(gt.annotations, [GTAnnotation(id: 1, imageID: 1, categoryID: 1, x: 1, y: 2, width: 10, height: 3, isDifficult: true)])
    }

    /// Found by `scripts/fuzz.sh voc-xml`: an element name that is not valid UTF-8 made swift-corelibs-foundation's
    /// XMLParser trap (SIGILL, the whole process died); now an error naming the file, byte and line.
    func testVOCInvalidUTF8IsAnError() throws {
        let url = dir.appendingPathComponent("voc4/d.xml")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("<annotation>\n<x".utf8 + [0xCB, 0xCF] + Data("/></annotation>\n".utf8)).write(to: url)
        assertError({ _ = try VOCDatasetReader.read(self.dir.appendingPathComponent("voc4")) }, contains: ["d.xml", "not valid UTF-8 at byte 15 (line 2)"])
        XCTAssertNil(VOCDocument.firstInvalidUTF8(Data("<a>é ✓ 🐈</a>".utf8)))
        XCTAssertEqual(VOCDocument.firstInvalidUTF8(Data([0x61, 0xE2, 0x9C])), 1)
        // A processing instruction without data crashed Foundation's XMLParser (strlen of NULL; CI fuzz run).
        XCTAssertEqual(VOCDocument.firstDatalessProcessingInstruction(Data("<a><?dept?>3</a>".utf8)), 3)
        XCTAssertEqual(VOCDocument.firstDatalessProcessingInstruction(Data("<a><?dept  \n?></a>".utf8)), 3)
        XCTAssertNil(VOCDocument.firstDatalessProcessingInstruction(Data("<?xml version=\"1.0\"?><a><?pi data?></a>".utf8)))
    }

    func testYOLOErrors() throws {
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("img"), withIntermediateDirectories: true)
        try ImageEncoder.png(Image(width: 3, height: 2)).write(to: dir.appendingPathComponent("img/x.png"))
        _ = try write("lab/classes.txt", "cat\ndog\n")
        _ = try write("lab/x.txt", "1 0.5 0.5 1 1\n3 0.5 0.5 0.1 0.1\n")
        assertError({ _ = try YOLODatasetReader.read(labels: self.dir.appendingPathComponent("lab"), images: self.dir.appendingPathComponent("img")) },
                    contains: ["x.txt", "line 2", "class"])
        _ = try write("lab/x.txt", "1 0.5 0.5 1 1\n")
        let gt = try YOLODatasetReader.read(labels: dir.appendingPathComponent("lab"), images: dir.appendingPathComponent("img"))
        XCTAssertEqual(gt.images, [EvalImage(id: 1, fileName: "x.png", width: 3, height: 2)])
        XCTAssertEqual(gt.annotations, [GTAnnotation(id: 1, imageID: 1, categoryID: 2, x: 0, y: 0, width: 3, height: 2)])
        _ = try write("lab/y.txt", "0 0.5 0.5 1 1\n")
        assertError({ _ = try YOLODatasetReader.read(labels: self.dir.appendingPathComponent("lab"), images: self.dir.appendingPathComponent("img")) },
                    contains: ["y.txt", "no image"])
        assertError({ _ = try YOLODatasetReader.read(labels: self.dir.appendingPathComponent("lab"), images: nil) }, contains: ["--images"])
    }

    func testClassMapping() {
        let coco = ["person", "bicycle", "airplane", "motorcycle", "couch", "tv", "dining table", "potted plant", "giraffe"]
            .enumerated().map { EvalCategory(id: $0.offset + 1, name: $0.element) }
        let voc = ["aeroplane", "motorbike", "sofa", "tvmonitor", "diningtable", "pottedplant", "person", "bicycle", "cow"]
        let m = ClassMapping(source: voc, target: coco)
        XCTAssertEqual(m.categoryForSource, [3, 4, 5, 6, 7, 8, 1, 2, nil])
        XCTAssertEqual(m.unmappedSource, ["cow"])
        XCTAssertEqual(m.unmappedTarget, ["giraffe"])
        // And the other way round (model classes are COCO, the dataset is VOC).
        let vocCats = voc.enumerated().map { EvalCategory(id: $0.offset + 1, name: $0.element) }
        let back = ClassMapping(source: coco.map(\.name), target: vocCats)
        XCTAssertEqual(back.categoryForSource, [7, 8, 1, 2, 3, 4, 5, 6, nil])
        XCTAssertEqual(back.unmappedTarget, ["cow"])
    }
}
