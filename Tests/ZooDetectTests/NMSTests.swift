import Foundation
import XCTest
import ZooTestSupport
@testable import ZooDetect

final class NMSTests: XCTestCase {
    struct Case: Decodable {
        let threshold: Float
        let boxes: [Float]
        let scores: [Float]
        let classes: [Int]
        let keep_class_aware: [Int]
        let keep_agnostic: [Int]
    }
    struct File: Decodable { let cases: [Case] }

    /// Matches torchvision's `nms` / `batched_nms` exactly (same kept indices in the same order) on random
    /// boxes with tied scores; the fixture comes from scripts/make_nms_fixtures.py.
    func testMatchesTorchvision() throws {
        let data = try Data(contentsOf: TestData.fixture("detect/nms_torchvision.json"))
        let file = try JSONDecoder().decode(File.self, from: data)
        XCTAssertEqual(file.cases.count, 5)
        for c in file.cases {
            let dets = (0..<c.scores.count).map { i in
                Detection(box: Box(x1: c.boxes[4 * i], y1: c.boxes[4 * i + 1], x2: c.boxes[4 * i + 2], y2: c.boxes[4 * i + 3]),
                          score: c.scores[i], classID: c.classes[i])
            }
            let aware = NMS.suppress(dets, threshold: c.threshold, classAware: true)
            let agnostic = NMS.suppress(dets, threshold: c.threshold, classAware: false)
            XCTAssertEqual(aware.map { Self.index(of: $0, in: dets) }, c.keep_class_aware, "class-aware, n=\(dets.count)")
            XCTAssertEqual(agnostic.map { Self.index(of: $0, in: dets) }, c.keep_agnostic, "agnostic, n=\(dets.count)")
        }
    }

    static func index(of d: Detection, in all: [Detection]) -> Int { all.firstIndex(of: d)! }

    /// The fast index path agrees with a naive O(n²) formulation for both overlap kinds and pixel offsets.
    func testAgreesWithNaiveReference() {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<20 {
            let n = trial == 0 ? 0 : Int.random(in: 1...120, using: &rng)
            let dets: [Detection] = (0..<n).map { _ in
                let x = Float.random(in: 0...100, using: &rng), y = Float.random(in: 0...100, using: &rng)
                return Detection(box: Box(x1: x, y1: y, x2: x + Float.random(in: 0...40, using: &rng), y2: y + Float.random(in: 0...40, using: &rng)),
                                 score: Float(Int.random(in: 0...50, using: &rng)) / 50, classID: Int.random(in: 0...2, using: &rng))
            }
            for overlap in [NMS.Overlap.iou, .minArea] {
                for offset: Float in [0, 1] {
                    let fast = NMS.suppress(dets, threshold: 0.4, overlap: overlap, classAware: true, pixelOffset: offset)
                    let naive = Self.naive(dets, threshold: 0.4, overlap: overlap, pixelOffset: offset)
                    XCTAssertEqual(fast, naive, "trial \(trial) \(overlap) offset \(offset)")
                }
            }
        }
    }

    /// Straightforward reference: repeatedly take the best remaining box, drop everything overlapping it.
    static func naive(_ dets: [Detection], threshold: Float, overlap: NMS.Overlap, pixelOffset: Float) -> [Detection] {
        var remaining = Array(dets.enumerated()).sorted { $0.element.score > $1.element.score || ($0.element.score == $1.element.score && $0.offset < $1.offset) }
        var kept: [Detection] = []
        func area(_ b: Box) -> Float { max(0, b.width + pixelOffset) * max(0, b.height + pixelOffset) }
        while let best = remaining.first {
            kept.append(best.element)
            remaining.removeFirst()
            remaining.removeAll { other in
                guard other.element.classID == best.element.classID else { return false }
                let a = best.element.box, b = other.element.box
                let w = min(a.x2, b.x2) - max(a.x1, b.x1) + pixelOffset, h = min(a.y2, b.y2) - max(a.y1, b.y1) + pixelOffset
                guard w > 0, h > 0 else { return false }
                let inter = w * h
                let denom = overlap == .iou ? area(a) + area(b) - inter : min(area(a), area(b))
                return denom > 0 && inter / denom > threshold
            }
        }
        return kept
    }

    func testMaxDetectionsAndMinOverlap() {
        let a = Detection(box: Box(x1: 0, y1: 0, x2: 10, y2: 10), score: 0.9, classID: 0)
        let inner = Detection(box: Box(x1: 2, y1: 2, x2: 6, y2: 6), score: 0.8, classID: 0)
        let far = Detection(box: Box(x1: 50, y1: 50, x2: 60, y2: 60), score: 0.7, classID: 0)
        // IoU of inner vs a is 16/100: kept by IoU 0.5, suppressed by min-area overlap (16/16 = 1).
        XCTAssertEqual(NMS.suppress([a, inner, far], threshold: 0.5).count, 3)
        XCTAssertEqual(NMS.suppress([a, inner, far], threshold: 0.5, overlap: .minArea), [a, far])
        XCTAssertEqual(NMS.suppress([far, inner, a], threshold: 0.5, maxDetections: 2), [a, inner])
        XCTAssertEqual(NMS.suppress([], threshold: 0.5), [])
    }

    func testBoxGeometry() {
        let b = Box(centerX: 10, centerY: 20, width: 4, height: 6)
        XCTAssertEqual(b.corners, [8, 17, 12, 23])
        XCTAssertEqual(b.area, 24)
        XCTAssertEqual(Box(x1: -5, y1: 3, x2: 700, y2: 90).clipped(width: 640, height: 80).corners, [0, 3, 640, 80])
        XCTAssertEqual(b.iou(b), 1)
        XCTAssertEqual(b.iou(Box(x1: 100, y1: 100, x2: 101, y2: 101)), 0)
        XCTAssertEqual(Box(x1: 5, y1: 5, x2: 1, y2: 1).area, 0)
    }
}
