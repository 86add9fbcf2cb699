import Foundation
import XCTest
import ZooTestSupport
@testable import ZooEval

/// 60 randomised sets from scripts/make_eval_fixtures.py (crowds, tiny/huge boxes, boundary areas, empty images,
/// categories without GT or detections, duplicates, > 100 detections per image, IoU exactly at thresholds,
/// non-contiguous and zero ids, custom maxDets), scored by pycocotools 2.0.11 and by a voc_eval.py reference.
/// Tolerance 1e-6 is the bar; the evaluator follows pycocotools' float64 arithmetic, so the observed
/// difference is 0 or a few ulps.
final class RandomizedFixtureTests: XCTestCase {
    struct FixtureSet {
        let seed: Int
        let maxDets: [Int]
        let gt: GroundTruth
        let dets: [ResultDetection]
        let stats: [Double]
        let voc07: [Int: Double?]
        let voc: [Int: Double?]
    }

    static func loadSets() throws -> [FixtureSet] {
        var sets: [FixtureSet] = []
        for f in 0..<6 {
            let url = TestData.fixture(String(format: "eval/random_%02d.json", f))
            let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
            for s in list {
                func d(_ v: Any) -> Double { (v as! NSNumber).doubleValue }
                func i(_ v: Any) -> Int { (v as! NSNumber).intValue }
                let images = (s["images"] as! [[String: Any]]).map {
                    EvalImage(id: i($0["id"]!), fileName: $0["file_name"] as! String, width: i($0["width"]!),
                              height: i($0["height"]!))
                }
                let cats = (s["categories"] as! [[String: Any]]).map { EvalCategory(id: i($0["id"]!), name: $0["name"] as! String) }
                let anns = (s["gt"] as! [[Any]]).map { r in
                    GTAnnotation(id: i(r[0]), imageID: i(r[1]), categoryID: i(r[2]), x: d(r[3]), y: d(r[4]),
                                 width: d(r[5]), height: d(r[6]), area: d(r[7]), isCrowd: i(r[8]) != 0)
                }
                let dets = (s["dets"] as! [[Any]]).map { r in
                    ResultDetection(imageID: i(r[0]), categoryID: i(r[1]), x: d(r[2]), y: d(r[3]), width: d(r[4]),
                                    height: d(r[5]), score: d(r[6]))
                }
                func aps(_ key: String) -> [Int: Double?] {
                    var out: [Int: Double?] = [:]
                    for (k, v) in s[key] as! [String: Any] { out[Int(k)!] = v is NSNull ? nil : d(v) }
                    return out
                }
                sets.append(FixtureSet(seed: i(s["seed"]!), maxDets: (s["maxDets"] as! [Any]).map(i),
                                       gt: GroundTruth(images: images, categories: cats, annotations: anns),
                                       dets: dets, stats: (s["stats"] as! [Any]).map(d), voc07: aps("voc07"), voc: aps("voc")))
            }
        }
        return sets
    }

    func testCOCOStatsMatchPycocotools() throws {
        let sets = try Self.loadSets()
        XCTAssertGreaterThanOrEqual(sets.count, 50)
        var worst = 0.0, undefined = 0
        for s in sets {
            var params = COCOEvalParams()
            params.maxDetections = s.maxDets
            let stats = try COCOEvaluator(params: params).evaluate(groundTruth: s.gt, detections: s.dets).stats
            for j in 0..<12 {
                worst = max(worst, abs(stats[j] - s.stats[j]))
                if s.stats[j] == -1 { undefined += 1 }
                XCTAssertEqual(stats[j], s.stats[j], accuracy: 1e-6, "seed \(s.seed) stat \(j)")
            }
        }
        XCTAssertGreaterThan(undefined, 0, "the sets should include undefined (-1) stats")
        print("randomised COCO sets: \(sets.count), max |diff| \(worst)")
    }

    func testVOCAPMatchesReference() throws {
        var worst = 0.0, compared = 0
        for s in try Self.loadSets() {
            for (metric, want) in [(VOCEvaluator.Metric.voc07, s.voc07), (.allPoint, s.voc)] {
                let eval = try VOCEvaluator(metric: metric).evaluate(groundTruth: s.gt, detections: s.dets)
                XCTAssertEqual(eval.perClass.count, want.count)
                for c in eval.perClass {
                    let expected = try XCTUnwrap(want[c.category.id], "seed \(s.seed) category \(c.category.id)")
                    if let e = expected, let got = c.ap {
                        worst = max(worst, abs(got - e)); compared += 1
                        XCTAssertEqual(got, e, accuracy: 1e-9, "seed \(s.seed) category \(c.category.id) \(metric)")
                    } else {
                        XCTAssertTrue(expected == nil && c.ap == nil, "seed \(s.seed) category \(c.category.id): \(String(describing: c.ap)) vs \(String(describing: expected))")
                    }
                }
            }
        }
        XCTAssertGreaterThan(compared, 100)
        print("randomised VOC APs compared: \(compared), max |diff| \(worst)")
    }
}
