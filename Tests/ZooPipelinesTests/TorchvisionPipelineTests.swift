import Foundation
import XCTest
import ZooDetect
import ZooImage
import ZooModels
@testable import ZooPipelines
import ZooTestSupport

/// `faster-rcnn-resnet50-fpn`, `retinanet-resnet50-fpn`, `fcos-resnet50-fpn` (and the other torchvision entries) through the detection pipeline (`.shortestSide` preprocessing = torchvision's
/// `GeneralizedRCNNTransform`, the model's own NMS, boxes back to image pixels, COCO ids → names) against
/// torchvision's `model(images)` on the seeded random checkpoint of scripts/make_torchvision_fixtures.py.
final class TorchvisionPipelineTests: XCTestCase {
    struct Dets: Decodable { var boxes: [Float]; var scores: [Float]; var labels: [Int] }
    struct Fixture: Decodable {
        struct ImageSpec: Decodable { var height: Int; var width: Int; var min_size: Int }
        var image: ImageSpec; var detections: Dets
    }

    func detector(_ model: String, checkpoint: String, size: Int) throws -> Detector {
        let url = TestData.packageRoot.appendingPathComponent("weights/torchvision-random/\(checkpoint)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("weights/torchvision-random/\(checkpoint) absent: generate it with "
                          + "~/.cache/vz-ref-venv/bin/python scripts/make_torchvision_fixtures.py --checkpoint-only")
        }
        return try Detector.load(model, options: DetectorOptions(confidence: 0.05, maxDetections: 300, size: size), weightsFile: url)
    }

    func testPipelineMatchesTorchvision() throws {
        try check("faster-rcnn-resnet50-fpn", checkpoint: "fasterrcnn_resnet50_fpn_random.pth", fixture: "faster_rcnn_r50_fpn.json")
    }

    func testRetinaNetPipelineMatchesTorchvision() throws {
        try check("retinanet-resnet50-fpn", checkpoint: "retinanet_resnet50_fpn_random.pth", fixture: "retinanet_r50_fpn.json")
    }

    func testMobileNetPipelinesMatchTorchvision() throws {
        try check("faster-rcnn-mobilenet-v3-large-fpn", checkpoint: "fasterrcnn_mobilenet_v3_large_fpn_random.pth",
                  fixture: "faster_rcnn_mobilenet_v3_large_fpn.json")
        try check("faster-rcnn-mobilenet-v3-large-320-fpn", checkpoint: "fasterrcnn_mobilenet_v3_large_fpn_random.pth",
                  fixture: "faster_rcnn_mobilenet_v3_large_320_fpn.json")
    }

    func testResNet50FPNv2PipelineMatchesTorchvision() throws {
        try check("faster-rcnn-resnet50-fpn-v2", checkpoint: "fasterrcnn_resnet50_fpn_v2_random.pth", fixture: "faster_rcnn_r50_fpn_v2.json")
    }

    func testFCOSPipelineMatchesTorchvision() throws {
        try check("fcos-resnet50-fpn", checkpoint: "fcos_resnet50_fpn_random.pth", fixture: "fcos_r50_fpn.json")
    }

    /// A fine-tuned-style checkpoint (num_classes 3: background + 2, `FastRCNNPredictor(1024, 3)`) with user class
    /// names (`vz detect --names`): the same detections as torchvision, labels 1/2 named by the file; without
    /// names, or with the wrong number, a clear refusal.
    func testFineTunedCheckpointWithNamesMatchesTorchvision() throws {
        let ckpt = "fasterrcnn_mobilenet_v3_large_320_fpn_3class_random.pth"
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestData.fixture("torchvision/faster_rcnn_mobilenet_v3_large_320_fpn_3class.json")))
        let url = TestData.packageRoot.appendingPathComponent("weights/torchvision-random/\(ckpt)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("weights/torchvision-random/\(ckpt) absent: generate it with "
                          + "~/.cache/vz-ref-venv/bin/python scripts/make_torchvision_fixtures.py --checkpoint-only")
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("vz-names-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try Data("\u{FEFF}cat\r\n\r\n  hot dog stand \r\n".utf8).write(to: tmp)
        let names = try ClassNamesFile.read(tmp)
        XCTAssertEqual(names, ["cat", "hot dog stand"])
        let options = DetectorOptions(confidence: 0.05, maxDetections: 300, size: f.image.min_size)
        let model = "faster-rcnn-mobilenet-v3-large-320-fpn"
        let det = try Detector.load(model, options: options, weightsFile: url, classNames: names)
        XCTAssertEqual(det.classes.names, names)
        let h = f.image.height, w = f.image.width
        var px = [UInt8](repeating: 0, count: h * w * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256) } } }
        let r = try det.detect(Image(width: w, height: h, pixels: px), name: "synthetic")
        XCTAssertGreaterThan(f.detections.labels.count, 10)
        XCTAssertEqual(Set(f.detections.labels), [1, 2], "both fine-tuned classes detected")
        XCTAssertEqual(r.detections.count, f.detections.labels.count)
        for (i, d) in r.detections.enumerated() where i < f.detections.labels.count {
            XCTAssertEqual(d.label, names[f.detections.labels[i] - 1], "#\(i)")
            XCTAssertEqual(d.classID, f.detections.labels[i] - 1, "#\(i)")
            XCTAssertEqual(d.score, f.detections.scores[i], accuracy: 1e-4 * f.detections.scores[i], "#\(i)")
            for k in 0..<4 { XCTAssertEqual(d.box.corners[k], f.detections.boxes[4 * i + k], accuracy: 1e-4 * Float(max(w, h)), "#\(i) box") }
        }
        XCTAssertThrowsError(try Detector.load(model, options: options, weightsFile: url)) { e in
            XCTAssertTrue("\(e)".contains("2 classes (plus background)") && "\(e)".contains("give their names"), "\(e)")
        }
        XCTAssertThrowsError(try Detector.load(model, options: options, weightsFile: url, classNames: ["cat"])) { e in
            XCTAssertTrue("\(e)".contains("1 names were given"), "\(e)")
        }
        // Other families: names rename the classes and must be as many.
        try Data("a\nb\na\n".utf8).write(to: tmp)
        XCTAssertThrowsError(try ClassNamesFile.read(tmp)) { e in XCTAssertTrue("\(e)".contains("line 3: 'a' is listed twice"), "\(e)") }
        try Data(" \n\n".utf8).write(to: tmp)
        XCTAssertThrowsError(try ClassNamesFile.read(tmp)) { e in XCTAssertTrue("\(e)".contains("no class names"), "\(e)") }
    }

    /// Same detections as torchvision, labels as names (91-id → 80-name map), scores to 1e-4 relative, boxes to
    /// 1e-4 of the image size (the pipeline divides by the resize scale where torchvision multiplies by its inverse).
    func check(_ model: String, checkpoint: String, fixture: String) throws {
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestData.fixture("torchvision/\(fixture)")))
        let det = try detector(model, checkpoint: checkpoint, size: f.image.min_size)
        XCTAssertEqual(det.model.postprocessing, .none)
        let h = f.image.height, w = f.image.width
        var px = [UInt8](repeating: 0, count: h * w * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256) } } }
        let r = try det.detect(Image(width: w, height: h, pixels: px), name: "synthetic")
        // Random weights also score torchvision's 11 unused "N/A" ids; the pipeline reports only the 80 real classes.
        let ref = f.detections.labels.indices.filter { TorchvisionCOCO.contiguous[f.detections.labels[$0]] != nil }
        XCTAssertGreaterThan(ref.count, 10)
        XCTAssertEqual(r.detections.count, ref.count)
        for (i, d) in r.detections.prefix(ref.count).enumerated() {
            let j = ref[i]
            XCTAssertEqual(d.label, TorchvisionCOCO.categories[f.detections.labels[j]], "#\(i)")
            XCTAssertEqual(d.score, f.detections.scores[j], accuracy: 1e-4 * f.detections.scores[j], "#\(i)")
            for k in 0..<4 { XCTAssertEqual(d.box.corners[k], f.detections.boxes[4 * j + k], accuracy: 1e-4 * Float(max(w, h)), "#\(i) box") }
        }
        // A second image of another aspect ratio re-plans the input tensor (the size follows the image).
        let tall = try det.detect(Image(width: 120, height: 260, fill: (90, 120, 200)), name: "tall")
        XCTAssertEqual(tall.width, 120)
        XCTAssertTrue(tall.detections.allSatisfy { $0.box.x2 <= 120 && $0.box.y2 <= 260 })
    }

    func testShortestSidePreprocessMatchesTorchvisionSizes() throws {
        let card = try ModelZoo.entry(named: "faster-rcnn-resnet50-fpn").card
        let p = try Preprocess(input: card.input)
        // 480 × 640 → shorter side 800 → 800 × 1066 (⌊640 · 5/3⌋), padded 800 × 1088; 300 × 2000 → longer side 1333.
        XCTAssertEqual(p.shape(for: Image(width: 640, height: 480)), [1, 3, 800, 1088])
        XCTAssertEqual(p.content(for: Image(width: 640, height: 480)).width, 1066)
        XCTAssertEqual(p.content(for: Image(width: 2000, height: 300)).width, 1333)
        XCTAssertEqual(p.shape(for: Image(width: 2000, height: 300)), [1, 3, 224, 1344])
        XCTAssertThrowsError(try Preprocess(input: card.input, size: 33))
        // The _320_ MobileNet entry: min_size 320, max_size 640.
        let small = try Preprocess(input: ModelZoo.entry(named: "faster-rcnn-mobilenet-v3-large-320-fpn").card.input)
        XCTAssertEqual(small.shape(for: Image(width: 640, height: 480)), [1, 3, 320, 448])
        XCTAssertEqual(small.content(for: Image(width: 2000, height: 300)).width, 640)
    }
}
