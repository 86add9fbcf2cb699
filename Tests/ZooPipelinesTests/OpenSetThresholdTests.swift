import Foundation
import XCTest
import ZooTestSupport
@testable import ZooPipelines

/// The open-set threshold: per-comparison FAR from FPIR and N, its mapping through an impostor tail, and the
/// committed tails (`Tests/Fixtures/faces/impostor-tail-*.json` equal to `FaceImpostorTails.json`).
final class OpenSetThresholdTests: XCTestCase {
    func testPerComparisonFAR() {
        XCTAssertEqual(OpenSetThreshold.perComparisonFAR(fpir: 0.01, comparisons: 1), 0.01, accuracy: 1e-15)
        // 1 − (1 − FPIR)^(1/N) ≈ FPIR / N for small rates, and exactly inverts FPIR = 1 − (1 − FAR)^N
        for n in [2, 10, 1000, 100_000] {
            let far = OpenSetThreshold.perComparisonFAR(fpir: 0.01, comparisons: n)
            XCTAssertEqual(1 - pow(1 - far, Double(n)), 0.01, accuracy: 1e-9)   // pow's rounding grows with n
            XCTAssertEqual(far, 0.01 / Double(n), accuracy: 0.01 / Double(n) * 0.006)
        }
        XCTAssertEqual(OpenSetThreshold.perComparisonFAR(fpir: 0.01, comparisons: 0), 0.01, accuracy: 1e-15, "N < 1 counts as 1")
    }

    /// Synthetic impostors 1 − i/M: the threshold at FAR f must be the score of rank ⌊f·M⌋, exactly at stored
    /// ranks and within the interpolation error between them; below 1/M it clamps to the maximum.
    func testTailThresholdFollowsTheRankRule() {
        let m = 100_000
        let impostors = (0..<m).map { 1 - Float($0) / Float(m) }
        let tail = ImpostorTail(recognizer: RecognizerID(name: "x", version: "1"), source: "synthetic", impostors: impostors)
        XCTAssertEqual(tail.ranks.first, 0)
        XCTAssertEqual(tail.pairs, m)
        XCTAssertTrue(zip(tail.ranks, tail.ranks.dropFirst()).allSatisfy { $0 < $1 })
        for far in [1e-4, 1e-3, 1e-2, 0.1, 0.3] {
            let k = Int(far * Double(m))
            let (t, clamped) = tail.threshold(far: far)
            XCTAssertFalse(clamped)
            let tolerance = 2e-3 * Float(k) / Float(m) + 1e-6   // log-rank interpolation between stored ranks
            XCTAssertEqual(t, impostors[k], accuracy: tolerance, "far \(far)")
            // at most k impostors strictly above (the FaceCalibration rule), up to the same interpolation error
            XCTAssertLessThanOrEqual(impostors.filter { $0 > t + tolerance }.count, k)
        }
        let (t0, clamped0) = tail.threshold(far: 1e-7)
        XCTAssertTrue(clamped0); XCTAssertEqual(t0, 1)
        // Monotonic: a bigger gallery never lowers the threshold.
        var last: Float = -2
        for n in [1, 10, 100, 1000, 10_000, 100_000, 1_000_000] {   // growing galleries
            let t = tail.threshold(far: OpenSetThreshold.perComparisonFAR(fpir: 0.01, comparisons: n)).value
            XCTAssertGreaterThanOrEqual(t, last); last = t
        }
    }

    func testPolicyFallbacksAndSources() {
        let user = OpenSetThreshold(fpir: 0.01, user: 0.5).threshold(recognizer: RecognizerID(name: "sface", version: "v"), comparisons: 10)
        XCTAssertEqual(user?.value, 0.5); XCTAssertTrue(user!.source.hasPrefix("user"))
        let none = OpenSetThreshold().threshold(recognizer: RecognizerID(name: "nonesuch", version: "v"), comparisons: 10)
        XCTAssertNil(none)
        // dlib-resnet with foreign weights: no matching tail, falls back to the verification threshold and says so
        let fb = OpenSetThreshold().threshold(recognizer: RecognizerID(name: "dlib-resnet", version: "user weights x.dat"), comparisons: 10)
        XCTAssertEqual(fb?.value, FaceThresholds.calibrated("dlib-resnet")?.value)
        XCTAssertTrue(fb?.source.contains("not adjusted for the gallery size") ?? false)
    }

    /// Every committed tail fixture is in the binary verbatim, and the default recognizer has one.
    func testCommittedTailsMatchTheBinary() throws {
        let dir = TestData.fixture("faces")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("impostor-tail-") && $0.hasSuffix(".json") }
        XCTAssertFalse(files.isEmpty, "no Tests/Fixtures/faces/impostor-tail-*.json")
        for f in files {
            let t = try JSONDecoder().decode(ImpostorTail.self, from: Data(contentsOf: dir.appendingPathComponent(f)))
            XCTAssertEqual(FaceImpostorTails.tail(for: t.recognizer), t, "\(f) differs from FaceImpostorTails.json")
            XCTAssertEqual(t.recognizer_version, FaceModelFactory.recognizerID(t.recognizer).version, "\(f): version of the pinned weights")
        }
        XCTAssertEqual(FaceImpostorTails.all.count, files.count)
        let sface = try XCTUnwrap(FaceImpostorTails.tail(for: "sface"))
        XCTAssertEqual(sface.pairs, 672_957)
        // FAR 1e-3 through the tail reproduces the verification threshold (same pairs, same rank rule).
        XCTAssertEqual(sface.threshold(far: 1e-3).value, FaceThresholds.calibrated("sface")!.value, accuracy: 5e-4)
        let t1 = OpenSetThreshold().threshold(recognizer: FaceModelFactory.recognizerID("sface"), comparisons: 1)!
        let t1000 = OpenSetThreshold().threshold(recognizer: FaceModelFactory.recognizerID("sface"), comparisons: 1000)!
        XCTAssertGreaterThan(t1000.value, t1.value)
        XCTAssertTrue(t1000.source.contains("N = 1000 embeddings"), t1000.source)
    }
}

/// `IdentificationEvaluation` on a hand-computed case: three enrolled people, three mated probes (one lands on
/// the wrong person), two non-mated probes.
final class IdentificationEvaluationTests: XCTestCase {
    func testMetricsOnAHandComputedCase() throws {
        typealias S = IdentificationEvaluation.Sample
        let samples = [
            S(identity: "A", image: "1.jpg", embedding: [1, 0, 0, 0]), S(identity: "A", image: "2.jpg", embedding: [0.9, 0.1, 0, 0]),
            S(identity: "B", image: "1.jpg", embedding: [0, 1, 0, 0]), S(identity: "B", image: "2.jpg", embedding: [0.05, 1, 0, 0]),
            S(identity: "C", image: "1.jpg", embedding: [0, 0, 1, 0]), S(identity: "C", image: "2.jpg", embedding: [0.9, 0, 0.1, 0]),
            S(identity: "D", image: "1.jpg", embedding: [0, 0, 0, 1]), S(identity: "E", image: "1.jpg", embedding: [0.7, 0.7, 0, 0]),
        ].shuffled()
        let r = try IdentificationEvaluation.run(samples, recognizer: RecognizerID(name: "x", version: "1"),
                                                 policy: OpenSetThreshold(fpir: 0.01, user: 0.8))
        XCTAssertEqual(r.identities, 5); XCTAssertEqual(r.gallery_people, 3); XCTAssertEqual(r.gallery_embeddings, 3)
        XCTAssertEqual(r.mated_probes, 3); XCTAssertEqual(r.non_mated_probes, 2)
        XCTAssertEqual(r.rank1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.dir, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.misidentified, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.fpir, 0)
        XCTAssertNil(r.target_fpir, "a fixed threshold has no target FPIR")
        XCTAssertEqual(r.threshold, 0.8)
        XCTAssertEqual(r.empirical_threshold ?? 0, Float(0.5).squareRoot(), accuracy: 1e-6)   // E's best cosine
        XCTAssertEqual(r.dir_at_empirical ?? 0, 2.0 / 3, accuracy: 1e-12)
        XCTAssertThrowsError(try IdentificationEvaluation.run(samples.filter { $0.image == "1.jpg" }, recognizer: RecognizerID(name: "x", version: "1"),
                                                              policy: OpenSetThreshold(user: 0.5))) { e in
            XCTAssertTrue("\(e)".contains("no identity has two or more images"), "\(e)")
        }
    }
}
