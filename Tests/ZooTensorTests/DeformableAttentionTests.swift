import XCTest
import ZooNN
import ZooTestSupport
@testable import ZooTensor

/// Multi-scale deformable attention sampling: the fast kernel against the naive grid_sample-from-the-definition
/// reference, and against HF transformers' PyTorch path (scripts/make_rtdetr_fixtures.py).
final class DeformableAttentionTests: XCTestCase {
    func testAgainstReferenceOnRandomShapes() {
        var rng = SeededRandom(seed: 41)
        let cases: [(Int, Int, Int, Int, Int, [(h: Int, w: Int)])] = [
            (1, 1, 1, 1, 1, [(1, 1)]), (2, 7, 3, 5, 4, [(6, 9), (3, 5)]), (1, 30, 8, 32, 4, [(20, 20), (10, 10), (5, 5)]),
            (3, 4, 2, 3, 2, [(2, 7), (7, 2), (1, 3)]),
        ]
        for (i, c) in cases.enumerated() {
            let g = DeformableAttention.Geometry(batch: c.0, queries: c.1, heads: c.2, headDim: c.3, points: c.4, levels: c.5)
            let samples = g.batch * g.queries * g.heads * g.levels.count * g.points
            let value = randomTensor([g.batch * g.cells * g.heads * g.headDim], &rng)
            let loc = randomTensor([samples * 2], &rng, -0.2...1.2)   // some outside the map: zero padding
            let w = randomTensor([samples], &rng, 0...1)
            let y = Tensor(zeros: [g.batch * g.queries * g.heads * g.headDim]), r = Tensor(zeros: y.shape)
            DeformableAttention.sample(g, value: value.pointer, locations: loc.pointer, weights: w.pointer, output: y.pointer)
            Reference.deformableAttention(g, value: value.pointer, locations: loc.pointer, weights: w.pointer, output: r.pointer)
            // ≤ 48 weighted bilinear samples of values in [-1, 1], Float vs Double.
            assertAllClose(y.toArray(), r.toArray(), tolerance: 1e-5, "case \(i)")
        }
    }

    func testExactCellCentresAndOutsidePoints() {
        // loc = ((x + 0.5) / W, (y + 0.5) / H) samples cell (x, y) exactly; a point beyond the border by a full cell reads 0.
        let g = DeformableAttention.Geometry(batch: 1, queries: 3, heads: 1, headDim: 2, points: 1, levels: [(3, 4)])
        let value = Tensor(shape: [12 * 2], data: (0..<24).map(Float.init))
        let loc = Tensor(shape: [6], data: [2.5 / 4, 1.5 / 3, -0.5, 0.5, 1.2, 1.3])
        let w = Tensor(shape: [3], data: [1, 1, 1])
        let y = Tensor(zeros: [6])
        DeformableAttention.sample(g, value: value.pointer, locations: loc.pointer, weights: w.pointer, output: y.pointer)
        XCTAssertEqual(Array(y.toArray()[0..<2]), [12, 13])   // cell (2, 1) = index 6 → values 12, 13
        XCTAssertEqual(Array(y.toArray()[2..<6]), [0, 0, 0, 0])
    }

    func testMatchesTransformersPyTorchPath() throws {
        let st = try SafeTensors(contentsOf: TestData.fixture("detr/msda_torch.safetensors"))
        let value = try st.tensor("value"), loc = try st.tensor("sampling_locations"), w = try st.tensor("attention_weights")
        let lv = try st.tensor("levels").toArray()
        let levels = stride(from: 0, to: lv.count, by: 2).map { (h: Int(lv[$0]), w: Int(lv[$0 + 1])) }
        let g = DeformableAttention.Geometry(batch: value.shape[0], queries: loc.shape[1], heads: value.shape[2], headDim: value.shape[3],
                                             points: loc.shape[4], levels: levels)
        let expected = try st.tensor("output")
        let y = Tensor(zeros: expected.shape)
        DeformableAttention.sample(g, value: value.pointer, locations: loc.pointer, weights: w.pointer, output: y.pointer)
        assertAllClose(y.toArray(), expected.toArray(), tolerance: 1e-5)   // float32 both, different summation order
    }
}
