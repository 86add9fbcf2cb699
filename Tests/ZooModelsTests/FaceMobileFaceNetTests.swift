import Foundation
import XCTest
import ZooImage
import ZooModels
import ZooNN
import ZooTestSupport

/// ArcFace MobileFaceNet on the 600 aligned LFW dev pairs: every cosine against the reference column (computed
/// by the original MXNet model with BGR input), the 10-fold accuracy, and the calibrated threshold.
final class FaceMobileFaceNetTests: XCTestCase {
    struct Pair { var a: String; var b: String; var same: Bool; var reference: Float }

    static func loadPairs(_ url: URL) throws -> [Pair] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(whereSeparator: \.isNewline).compactMap { line -> Pair? in
            if line.hasPrefix("#") || line.isEmpty { return nil }
            let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == 4, let label = Int(f[2]), let ref = Float(f[3]) else {
                throw FaceInputError.badInput("pairs_dev.csv: bad line '\(line)'")
            }
            return Pair(a: f[0], b: f[1], same: label == 1, reference: ref)
        }
    }

    /// Two references:
    /// * `mobilefacenet_lfw_dev_cosines.json` (scripts/make_mobilefacenet_fixture.py): the MXNet symbol executed
    ///   node by node with torch ops on the same params and JPEG decodes. Ours must match it within 1e-4 on every
    ///   pair (float32 through ~50 layers; observed ≈1e-6).
    /// * the CSV's `reference_cosine` column. A faithful execution of the symbol (ours and the torch one agree)
    ///   differs from it by a median 0.0018 and at most 0.0107 (52 of 600 pairs above 0.005): the column was not
    ///   produced from these JPEGs the way the symbol prescribes (see the script's header for what was ruled
    ///   out). We therefore assert median ≤ 0.0025 and max ≤ 0.012 against it and report both numbers.
    func testLFWDevPairsMatchReferenceCosines() throws {
        let params = try TestData.shared("weights/mobilefacenet/model-0000.params")
        let root = try TestData.shared("lfw-112")
        let pairs = try Self.loadPairs(root.appendingPathComponent("pairs_dev.csv"))
        XCTAssertEqual(pairs.count, 600)

        let loadStart = Date()
        let net = try MobileFaceNet(params: params)
        let loadTime = Date().timeIntervalSince(loadStart)

        var paths: [String] = []
        var index: [String: Int] = [:]
        for p in pairs { for s in [p.a, p.b] where index[s] == nil { index[s] = paths.count; paths.append(s) } }
        let t0 = Date()
        let images = try paths.map { try ImageDecoder.decode(contentsOf: root.appendingPathComponent("images").appendingPathComponent($0)) }
        let t1 = Date()
        var embeddings: [[Float]] = []
        let batch = 32
        for start in stride(from: 0, to: images.count, by: batch) {
            embeddings += try net.embed(batch: Array(images[start..<min(start + batch, images.count)]))
        }
        let t2 = Date()

        var worst: Float = 0, worstPair = ""
        var scores: [Float] = []
        for p in pairs {
            let c = FaceEmbeddingMath.cosine(embeddings[index[p.a]!], embeddings[index[p.b]!])
            scores.append(c)
            let d = abs(c - p.reference)
            if d > worst { worst = d; worstPair = "\(p.a) / \(p.b)" }
        }
        let symbolRef = try JSONDecoder().decode([String: [Float]].self,
                                                  from: Data(contentsOf: TestData.fixture("faces/mobilefacenet_lfw_dev_cosines.json")))["cosines"] ?? []
        XCTAssertEqual(symbolRef.count, pairs.count)
        assertAllClose(scores, symbolRef, tolerance: 1e-4, "cosines vs symbol execution in torch")
        let symbolWorst = zip(scores, symbolRef).map { abs($0 - $1) }.max() ?? .infinity
        let errors = zip(scores, pairs).map { abs($0 - $1.reference) }.sorted()
        let median = errors[errors.count / 2]
        XCTAssertLessThanOrEqual(worst, 0.012, "worst pair \(worstPair)")
        XCTAssertLessThanOrEqual(median, 0.0025)
        let labels = pairs.map(\.same)
        let folds = FaceVerificationStats.tenFoldAccuracy(scores: scores, labels: labels)
        let cal = FaceVerificationStats.threshold(scores: scores, labels: labels, far: 0.01)
        print(String(format: "MobileFaceNet LFW dev: %d pairs, %d images; max |cos − torch symbol execution| %.2g; vs CSV reference_cosine: max %.5f (%@), median %.5f, %d pairs > 0.005; 10-fold accuracy %.4f ± %.4f; threshold %.4f at FAR %.4f → TAR %.4f; load %.2fs, decode %.2fs, embed %.2fs (%.1f ms/image)",
                     pairs.count, images.count, symbolWorst, worst, worstPair, median, errors.filter { $0 > 0.005 }.count, folds.mean, folds.std, cal.threshold, cal.far, cal.tar,
                     loadTime, t1.timeIntervalSince(t0), t2.timeIntervalSince(t1), 1000 * t2.timeIntervalSince(t1) / Double(images.count)))
        // The 600-pair statistic (FAR 1 % = 3 of 300 impostors) as measured in session 1; the operating threshold
        // `vz verify` uses is FaceThresholds' (FAR 0.1 % over all 672,957 impostor pairs of these images).
        XCTAssertEqual(cal.threshold, 0.2524, accuracy: 1e-3)
        XCTAssertEqual(cal.tar, 0.9867, accuracy: 0.01)
        XCTAssertGreaterThan(folds.mean, 0.97)
    }

    func testMismatchedSymbolIsRejected() throws {
        let params = try TestData.shared("weights/mobilefacenet/model-0000.params")
        let json = #"{"nodes": [{"op": "Convolution", "name": "conv_1_conv2d", "attrs": {"kernel": "(5, 5)", "num_filter": "64", "no_bias": "True"}, "inputs": []}]}"#
        XCTAssertThrowsError(try MobileFaceNet(params: try MXNetParams(contentsOf: params), symbol: try MXNetSymbol(data: Data(json.utf8)))) { e in
            XCTAssertTrue("\(e)".contains("conv_1_conv2d"), "\(e)")
        }
    }

    func testVerificationStatsOnKnownScores() {
        // Perfectly separable: accuracy 1, threshold between the classes.
        let scores: [Float] = [0.9, 0.8, 0.7, 0.2, 0.1, 0.0]
        let labels = [true, true, true, false, false, false]
        let t = FaceVerificationStats.threshold(scores: scores, labels: labels, far: 0.0)
        XCTAssertEqual(t.tar, 1)
        XCTAssertEqual(t.far, 0)
        XCTAssertGreaterThan(t.threshold, 0.2)
        XCTAssertLessThanOrEqual(t.threshold, 0.7)
        XCTAssertEqual(FaceVerificationStats.accuracy(scores: scores, labels: labels, threshold: 0.5), 1)
        XCTAssertEqual(FaceVerificationStats.accuracy(scores: scores, labels: labels, threshold: 0.85), 4.0 / 6.0, accuracy: 1e-6)
    }
}
