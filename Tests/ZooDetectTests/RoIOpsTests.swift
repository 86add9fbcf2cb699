import Foundation
import XCTest
import ZooTestSupport
@testable import ZooDetect

/// RoIAlign, AnchorGenerator and BoxCoder against torchvision 0.29.1 (Tests/Fixtures/torchvision/roi_ops.json,
/// scripts/make_roi_ops_fixtures.py), against the naive RoIAlign, and against hand-computed values.
final class RoIOpsTests: XCTestCase {
    private struct Fixture: Decodable {
        struct RoI: Decodable {
            struct Case: Decodable { var output: [Int]; var spatial_scale: Float; var sampling_ratio: Int; var aligned: Bool; var values: [Float] }
            var features_shape: [Int]; var features: [Float]; var boxes: [Float]; var cases: [Case]
        }
        struct Anchors: Decodable { var image: [Int]; var grids: [[Int]]; var levels: [[Float]] }
        struct Coder: Decodable { var weights: [Float]; var decoded: [Float] }
        struct Coders: Decodable { var reference: [Float]; var codes: [Float]; var coders: [String: Coder] }
        var roi_align: RoI; var anchors: Anchors; var box_coder: Coders
    }

    private func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestData.fixture("torchvision/roi_ops.json")))
    }

    private func boxes(_ f: [Float]) -> [Box] {
        stride(from: 0, to: f.count, by: 4).map { Box(x1: f[$0], y1: f[$0 + 1], x2: f[$0 + 2], y2: f[$0 + 3]) }
    }

    private func pool(_ op: RoIAlign, _ feat: [Float], c: Int, h: Int, w: Int, _ b: [Box]) -> [Float] {
        var out = [Float](repeating: .nan, count: b.count * c * op.outputHeight * op.outputWidth)
        feat.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in op(features: f.baseAddress!, channels: c, height: h, width: w, boxes: b, into: o.baseAddress!) }
        }
        return out
    }

    /// Same arithmetic in the same order as torchvision's CPU kernel: equal to Float32 rounding (1e-6 absolute
    /// on values of magnitude ≤ 4 allows for a fused multiply-add the compiler may form).
    func testRoIAlignMatchesTorchvision() throws {
        let fx = try fixture().roi_align
        let (c, h, w) = (fx.features_shape[1], fx.features_shape[2], fx.features_shape[3])
        let b = boxes(fx.boxes)
        for k in fx.cases {
            let op = RoIAlign(outputHeight: k.output[0], outputWidth: k.output[1], spatialScale: k.spatial_scale,
                              samplingRatio: k.sampling_ratio, aligned: k.aligned)
            let label = "out \(k.output) scale \(k.spatial_scale) sr \(k.sampling_ratio) aligned \(k.aligned)"
            assertAllClose(pool(op, fx.features, c: c, h: h, w: w, b), k.values, tolerance: 1e-6, label)
            assertAllClose(RoIAlignReference.pool(op, features: fx.features, channels: c, height: h, width: w, boxes: b),
                           k.values, tolerance: 1e-5, "reference " + label)
        }
    }

    func testRoIAlignMatchesNaiveReferenceOnRandomShapes() {
        var rng = SeededRandom(seed: 3)
        for trial in 0..<40 {
            let c = Int.random(in: 1...4, using: &rng), h = Int.random(in: 1...13, using: &rng), w = Int.random(in: 1...13, using: &rng)
            let feat = (0..<(c * h * w)).map { _ in Float.random(in: -2...2, using: &rng) }
            let scale: Float = [1, 0.5, 0.25, 0.125][trial % 4]
            let b = (0..<5).map { _ -> Box in
                let x = Float.random(in: -10...Float(w) / scale + 10, using: &rng), y = Float.random(in: -10...Float(h) / scale + 10, using: &rng)
                return Box(x1: x, y1: y, x2: x + Float.random(in: 0...40, using: &rng), y2: y + Float.random(in: 0...40, using: &rng))
            }
            let op = RoIAlign(outputHeight: Int.random(in: 1...7, using: &rng), outputWidth: Int.random(in: 1...7, using: &rng),
                              spatialScale: scale, samplingRatio: [2, -1, 1, 3][trial % 4], aligned: trial % 2 == 0)
            assertAllClose(pool(op, feat, c: c, h: h, w: w, b),
                           RoIAlignReference.pool(op, features: feat, channels: c, height: h, width: w, boxes: b),
                           tolerance: 1e-5, "trial \(trial)")
        }
    }

    /// On f(y, x) = x, aligned RoIAlign of x ∈ [2, 6] in two bins samples x = 2, 3 and 4, 5: means 2.5 and 4.5.
    /// Unaligned, the same box starts at 2.0 without the half-pixel shift: samples 2.5, 3.5 | 4.5, 5.5.
    func testRoIAlignOnARampByHand() {
        let w = 10, h = 4
        let feat = (0..<(h * w)).map { Float($0 % w) }
        let box = [Box(x1: 2, y1: 1, x2: 6, y2: 3)]
        let aligned = RoIAlign(outputHeight: 1, outputWidth: 2, spatialScale: 1, samplingRatio: 2, aligned: true)
        XCTAssertEqual(pool(aligned, feat, c: 1, h: h, w: w, box), [2.5, 4.5])
        let legacy = RoIAlign(outputHeight: 1, outputWidth: 2, spatialScale: 1, samplingRatio: 2, aligned: false)
        XCTAssertEqual(pool(legacy, feat, c: 1, h: h, w: w, box), [3, 5])
        // A box entirely left of the map (x < −1 everywhere) pools to zeros; adaptive grid of a 4-wide bin is 4 samples.
        XCTAssertEqual(pool(legacy, feat, c: 1, h: h, w: w, [Box(x1: -9, y1: 0, x2: -3, y2: 2)]), [0, 0])
        let adaptive = RoIAlign(outputHeight: 1, outputWidth: 1, spatialScale: 1, samplingRatio: -1, aligned: true)
        XCTAssertEqual(adaptive.geometry(Box(x1: 0, y1: 0, x2: 4, y2: 2)).gridW, 4)
        XCTAssertEqual(pool(adaptive, feat, c: 1, h: h, w: w, [Box(x1: 2, y1: 1, x2: 6, y2: 3)]), [3.5])
        // NaN boxes (garbage proposals) pool to zeros instead of trapping.
        XCTAssertEqual(pool(adaptive, feat, c: 1, h: h, w: w, [Box(x1: .nan, y1: 0, x2: 3, y2: 2)]), [0])
    }

    /// Cell anchors by hand: size 32, ratio 0.5 → w = 32·√2 = 45.25, h = 22.63 → ±22.63, ±11.31 → round → ±23, ±11.
    func testAnchorsByHandAndAgainstTorchvision() throws {
        let g = AnchorGenerator.fasterRCNNFPN
        XCTAssertEqual(g.anchorsPerLocation, [3, 3, 3, 3, 3])
        XCTAssertEqual(g.cellAnchors(level: 0).map(\.corners), [[-23, -11, 23, 11], [-16, -16, 16, 16], [-11, -23, 11, 23]])
        XCTAssertEqual(g.cellAnchors(level: 4).map(\.corners), [[-362, -181, 362, 181], [-256, -256, 256, 256], [-181, -362, 181, 362]])
        // Location (y 1, x 2) of level 0 on a 64 × 96 input with a 16 × 24 grid: stride 4 → shift (8, 4).
        let a = g.anchors(level: 0, gridHeight: 16, gridWidth: 24, imageHeight: 64, imageWidth: 96)
        let expected: [Float] = [-8, -12, 24, 20]   // (8, 4) ± 16
        XCTAssertEqual(a[(1 * 24 + 2) * 3 + 1].corners, expected)
        let fx = try fixture().anchors
        for (level, grid) in fx.grids.enumerated() {
            let mine = g.anchors(level: level, gridHeight: grid[0], gridWidth: grid[1], imageHeight: fx.image[0], imageWidth: fx.image[1])
            XCTAssertEqual(mine.flatMap(\.corners), fx.levels[level], "level \(level)")
        }
    }

    func testBoxCoderByHandAndAgainstTorchvision() throws {
        let ref = Box(x1: 10, y1: 20, x2: 50, y2: 44)
        XCTAssertEqual(BoxCoder.roiHeads.decode([0, 0, 0, 0], relativeTo: ref), ref)
        // dx = 10 / 10 = 1 box width right; dw = 50 / 5 = 10 > log(62.5): the width grows 62.5×, no more.
        let d = BoxCoder.roiHeads.decode([10, 0, 50, 0], relativeTo: ref)
        XCTAssertEqual(d.x1 + d.x2, 2 * 70, accuracy: 1e-3)
        XCTAssertEqual(d.width, 40 * 62.5, accuracy: 1e-2)
        XCTAssertEqual(d.y1, 20, accuracy: 1e-5); XCTAssertEqual(d.y2, 44, accuracy: 1e-5)
        let fx = try fixture().box_coder
        let refs = boxes(fx.reference)
        for (name, c) in fx.coders {
            let coder = BoxCoder(weights: (c.weights[0], c.weights[1], c.weights[2], c.weights[3]))
            let mine = refs.enumerated().flatMap { i, r in coder.decode(Array(fx.codes[(4 * i)..<(4 * i + 4)]), relativeTo: r).corners }
            // expf here and torch's vectorised exp may differ by an ulp: 1e-6 relative.
            for (a, b) in zip(mine, c.decoded) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, abs(b)), name) }
        }
    }
}
