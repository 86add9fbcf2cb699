import XCTest
import ZooDetect
import ZooNN

/// Comparisons shared by the torchvision dense-head parity tests (RetinaNet, FCOS): tolerances as stated there.
enum TorchvisionParity {
    typealias Record = FasterRCNNTests.Record
    typealias Dets = FasterRCNNTests.Dets

    /// torchvision's head output layout `N, Σ H·W·A, K` (levels concatenated, (y, x, a) rows) from ours `N, A·K, H, W`.
    static func flattened(_ levels: [Tensor], _ k: Int) -> [Float] {
        var out: [Float] = []
        for t in levels {
            let ak = t.shape[1], hw = t.shape[2] * t.shape[3], a = ak / k, p = t.pointer
            for i in 0..<hw { for j in 0..<a { for c in 0..<k { out.append(p[(j * k + c) * hw + i]) } } }
        }
        return out
    }

    static func compare(_ v: [Float], _ r: Record, _ label: String) -> Float {
        XCTAssertEqual(v.count, r.shape.reduce(1, *), label)
        var worst: Float = 0
        for (j, e) in r.samples.enumerated() where j * r.step < v.count { worst = max(worst, abs(v[j * r.step] - e) / r.scale) }
        XCTAssertLessThanOrEqual(worst, 1e-4, label)
        XCTAssertEqual(v.reduce(0.0) { $0 + Double($1) }, r.sum, accuracy: 1e-4 * r.abs_sum, "\(label) sum")
        return worst
    }

    /// Same detections in order, except near-equal scores (within 1e-5) which may swap within ±4 places.
    static func compare(_ mine: [Detection], _ ref: Dets, scale: Float, _ label: String) -> Int {
        XCTAssertEqual(mine.count, ref.scores.count, "\(label) count")
        XCTAssertGreaterThan(ref.scores.count, 0, label)
        func same(_ d: Detection, _ i: Int) -> Bool {
            d.classID == ref.labels[i] && abs(d.score - ref.scores[i]) <= 1e-5
                && (0..<4).allSatisfy { abs(d.box.corners[$0] - ref.boxes[4 * i + $0]) <= 1e-4 * scale }
        }
        var swaps = 0
        for i in 0..<min(mine.count, ref.scores.count) where !same(mine[i], i) {
            let window = max(0, i - 4)...min(mine.count - 1, i + 4)
            XCTAssertNotNil(window.first { same(mine[$0], i) }, "\(label) #\(i): \(ref.labels[i]) \(ref.scores[i]) not among ours near \(i)")
            swaps += 1
        }
        return swaps
    }
}
