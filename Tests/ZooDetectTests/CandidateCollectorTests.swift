import XCTest
import ZooTestSupport
@testable import ZooDetect

/// `CandidateCollector` (bounded top-k before NMS) against its naive reference, and the property that makes
/// NMS cost independent of `conf`.
final class CandidateCollectorTests: XCTestCase {
    /// Random candidates with many tied scores, random limits and class filters: the same detections in the
    /// same order as "filter, stable sort, prefix".
    func testMatchesNaiveReference() {
        var rng = SeededRandom(seed: 7)
        for trial in 0..<200 {
            let n = Int.random(in: 0...400, using: &rng)
            let all = (0..<n).map { i -> Detection in
                // Scores on a coarse grid so that ties are common.
                let score = Float(Int.random(in: 0...20, using: &rng)) / 20
                let x = Float(i)
                return Detection(box: Box(x1: x, y1: 0, x2: x + 1, y2: 1), score: score, classID: Int.random(in: 0..<5, using: &rng))
            }
            let confidence = Float(Int.random(in: 0...10, using: &rng)) / 20
            let limit = [0, 1, 3, 17, 100, 1000][trial % 6]
            let classes: Set<Int>? = trial % 3 == 0 ? [1, 3] : nil
            var c = CandidateCollector(confidence: confidence, limit: limit, classes: classes, classCount: 5)
            for d in all { c.offer(score: d.score, classID: d.classID) { d.box } }
            let expected = TopCandidatesReference.select(all, confidence: confidence, limit: limit, classes: classes)
            XCTAssertEqual(c.detections(), expected, "trial \(trial): n=\(n) conf=\(confidence) limit=\(limit)")
            XCTAssertEqual(c.offered, all.filter { $0.score > confidence && (classes?.contains($0.classID) ?? true) }.count)
        }
    }

    /// Under the limit, NMS over the collected candidates keeps exactly what NMS over all candidates keeps.
    func testNMSUnchangedBelowLimit() {
        var rng = SeededRandom(seed: 11)
        let all = (0..<300).map { _ -> Detection in
            let x = Float.random(in: 0...100, using: &rng), y = Float.random(in: 0...100, using: &rng)
            return Detection(box: Box(x1: x, y1: y, x2: x + 20, y2: y + 20),
                             score: Float(Int.random(in: 1...10, using: &rng)) / 10, classID: Int.random(in: 0..<3, using: &rng))
        }
        var c = CandidateCollector(confidence: 0, limit: 10_000)
        for d in all { c.offer(score: d.score, classID: d.classID) { d.box } }
        XCTAssertEqual(NMS.suppress(c.detections(), threshold: 0.45), NMS.suppress(all, threshold: 0.45))
    }

    /// A million candidates at conf 0 (what `conf=0` at a large input size produces) keep `limit` entries and
    /// never build the boxes of rejected ones.
    func testBoundedWhateverTheConfidence() {
        var c = CandidateCollector(confidence: 0, limit: 1000)
        var built = 0
        for i in 0..<1_000_000 {
            let score = Float((i &* 2_654_435_761) % 1_000_003) / 1_000_003 + 1e-7
            c.offer(score: score, classID: i % 80) { built += 1; return Box(x1: 0, y1: 0, x2: 1, y2: 1) }
        }
        XCTAssertEqual(c.count, 1000)
        XCTAssertEqual(c.offered, 1_000_000)
        XCTAssertLessThan(built, 30_000, "boxes are built only for candidates that enter the top 1000")
        let scores = c.detections().map(\.score)
        XCTAssertEqual(scores, scores.sorted(by: >))
    }

    /// NaN scores and scores at the threshold are never kept (score must exceed `confidence`).
    func testRejectsNaNAndThreshold() {
        var c = CandidateCollector(confidence: 0.5, limit: 10)
        c.offer(score: .nan, classID: 0) { Box(x1: 0, y1: 0, x2: 1, y2: 1) }
        c.offer(score: 0.5, classID: 0) { Box(x1: 0, y1: 0, x2: 1, y2: 1) }
        c.offer(score: 0.51, classID: 0) { Box(x1: 0, y1: 0, x2: 1, y2: 1) }
        XCTAssertEqual(c.detections().map(\.score), [0.51])
    }
}
