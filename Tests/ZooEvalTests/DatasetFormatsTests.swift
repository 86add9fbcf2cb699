import Foundation
import XCTest
import ZooTestSupport
@testable import ZooEval

/// ../shared/data/voc100: the same 100 VOC2007 images annotated as COCO JSON (two variants), YOLO txt and
/// Pascal VOC XML, with one set of detections (0-based image ids, matched by file name; categories by name).
final class DatasetFormatsTests: XCTestCase {
    struct Loaded { let name: String; let gt: GroundTruth; let dets: [ResultDetection] }

    func loadAll() throws -> [Loaded] {
        let base = try TestData.shared("voc100")
        let results = try COCOResults.read(base.appendingPathComponent("dets/coco_format/coco_dets.json"))
        let sets: [(String, GroundTruth)] = [
            ("coco_v1", try DatasetLoader.load(base.appendingPathComponent("gts/coco_format_v1/instances_default.json"))),
            ("coco_v2", try DatasetLoader.load(base.appendingPathComponent("gts/coco_format_v2/instances_v2.json"))),
            ("yolo", try DatasetLoader.load(base.appendingPathComponent("gts/yolo_format/obj_train_data"),
                                            images: base.appendingPathComponent("images"))),
            ("voc", try DatasetLoader.load(base.appendingPathComponent("gts/pascalvoc_format"),
                                           names: base.appendingPathComponent("voc.names"))),
        ]
        return try sets.map { name, gt in
            XCTAssertEqual(gt.images.count, 100, name)
            XCTAssertEqual(gt.annotations.count, 273, name)
            XCTAssertEqual(gt.categories.count, 20, name)
            let aligned = try results.aligned(to: gt)
            XCTAssertEqual(aligned.detections.count, 452, name)
            XCTAssertEqual(aligned.unmappedClasses, [], name)
            return Loaded(name: name, gt: gt, dets: aligned.detections)
        }
    }

    func testFormatDetection() throws {
        let base = try TestData.shared("voc100/gts")
        XCTAssertEqual(try DatasetFormat.detect(base.appendingPathComponent("coco_format_v1/instances_default.json")), .coco)
        XCTAssertEqual(try DatasetFormat.detect(base.appendingPathComponent("pascalvoc_format")), .voc)
        XCTAssertEqual(try DatasetFormat.detect(base.appendingPathComponent("yolo_format/obj_train_data")), .yolo)
    }

    func testImageSizesFromHeadersMatchAnnotations() throws {
        let coco = try DatasetLoader.load(TestData.shared("voc100/gts/coco_format_v2/instances_v2.json"))
        let images = try TestData.shared("voc100/images")
        for img in coco.images {
            let (w, h) = try YOLODatasetReader.imageSize(images.appendingPathComponent(img.fileName))
            XCTAssertEqual(w, img.width, img.fileName); XCTAssertEqual(h, img.height, img.fileName)
        }
    }

    /// All formats give the same COCO and VOC numbers (difficult flags, which only the XML carries, switched
    /// off). Category and image ids differ between formats, which reorders float sums: tolerance 1e-12.
    ///
    /// YOLO labels store relative coordinates with 6 decimals, so its pixel boxes are off by up to ~5e-4 px
    /// (e.g. 173.99955 for 174); these data have many IoUs exactly on a threshold (integer boxes), which such
    /// noise moves across (and areas across the 32² boundary). So YOLO is checked twice: raw, boxes within the labels' precision and numbers within
    /// 5e-3; and with its pixel coordinates rounded to 0.01 px, numbers identical to the other formats.
    func testAllFormatsEvaluateIdentically() throws {
        var all = try loadAll()
        let yolo = all.first { $0.name == "yolo" }!
        let voc = all.first { $0.name == "voc" }!
        let vocNames = Dictionary(uniqueKeysWithValues: voc.gt.images.map { ($0.id, $0.fileName) })
        let vocBoxes: [String: [GTAnnotation]] = Dictionary(grouping: voc.gt.annotations) { (a: GTAnnotation) in vocNames[a.imageID]! }
        let yoloImages = Dictionary(uniqueKeysWithValues: yolo.gt.images.map { ($0.id, $0) })
        for a in yolo.gt.annotations {
            let img = yoloImages[a.imageID]!
            let tol = 1e-6 * Double(max(img.width, img.height))
            let candidates = vocBoxes[img.fileName] ?? []
            let found = candidates.contains { (b: GTAnnotation) -> Bool in
                let dx = abs(b.x - a.x), dy = abs(b.y - a.y)
                let dw = abs(b.width - a.width), dh = abs(b.height - a.height)
                return dx <= tol && dy <= tol && dw <= 2 * tol && dh <= 2 * tol
            }
            XCTAssertTrue(found, "\(img.fileName) \(a)")
        }
        var snapped = yolo.gt
        func r(_ v: Double) -> Double { (v * 100).rounded() / 100 }
        for j in snapped.annotations.indices {
            let a = snapped.annotations[j]
            let x2 = r(a.x + a.width), y2 = r(a.y + a.height)
            snapped.annotations[j] = GTAnnotation(id: a.id, imageID: a.imageID, categoryID: a.categoryID, x: r(a.x), y: r(a.y),
                                                  width: x2 - r(a.x), height: y2 - r(a.y))
        }
        all.append(Loaded(name: "yolo_snapped", gt: snapped, dets: yolo.dets))
        var params = COCOEvalParams(); params.ignoreDifficult = false
        var reference: (stats: [Double], ap: [String: Double], voc: [String: Double])?
        for l in all {
            let coco = try COCOEvaluator(params: params).evaluate(groundTruth: l.gt, detections: l.dets)
            let voc = try VOCEvaluator(metric: .allPoint, ignoreDifficult: false).evaluate(groundTruth: l.gt, detections: l.dets)
            let ap = Dictionary(uniqueKeysWithValues: coco.perClass.map { ($0.category.name, $0.ap) })
            let vocAP = Dictionary(uniqueKeysWithValues: voc.perClass.map { ($0.category.name, $0.ap ?? -1) })
            XCTAssertGreaterThan(coco.stats[0], 0.1, l.name)
            guard let ref = reference else { reference = (coco.stats, ap, vocAP); continue }
            let tol = l.name == "yolo" ? 5e-3 : 1e-12
            for j in 0..<12 { XCTAssertEqual(coco.stats[j], ref.stats[j], accuracy: tol, "\(l.name) stat \(j)") }
            for (name, v) in ap { XCTAssertEqual(v, ref.ap[name]!, accuracy: l.name == "yolo" ? 1e-2 : tol, "\(l.name) \(name)") }
            for (name, v) in vocAP { XCTAssertEqual(v, ref.voc[name]!, accuracy: tol, "\(l.name) VOC \(name)") }
        }
    }

    /// VOC AP with difficult boxes honoured, against scripts/make_eval_fixtures.py's voc_eval.py reference.
    func testVOCAPOnVOC100MatchesReference() throws {
        let l = try loadAll().first { $0.name == "voc" }!
        XCTAssertEqual(l.gt.annotations.filter(\.isDifficult).count, 38)
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: TestData.fixture("eval/voc100_voc_ap.json"))) as! [String: [String: Double]]
        for (key, metric) in [("voc07", VOCEvaluator.Metric.voc07), ("voc", .allPoint)] {
            let eval = try VOCEvaluator(metric: metric).evaluate(groundTruth: l.gt, detections: l.dets)
            XCTAssertEqual(eval.perClass.count, 20)
            for c in eval.perClass {
                XCTAssertEqual(try XCTUnwrap(c.ap), try XCTUnwrap(fixture[key]?[c.category.name]), accuracy: 1e-9, "\(key) \(c.category.name)")
            }
        }
    }
}
