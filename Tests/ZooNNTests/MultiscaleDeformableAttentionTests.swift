import XCTest
import ZooTestSupport
@testable import ZooNN

/// `MultiscaleDeformableAttention` against HF transformers 5.23 `RTDetrMultiscaleDeformableAttention` (PyTorch path),
/// 4-d reference boxes and 2-d reference points, with a value mask (scripts/make_rtdetr_fixtures.py).
final class MultiscaleDeformableAttentionTests: XCTestCase {
    func testMatchesTransformersLayer() throws {
        let st = try SafeTensors(contentsOf: TestData.fixture("detr/msda_layer_torch.safetensors"))
        var layer = MultiscaleDeformableAttention(dModel: 32, heads: 4, levels: 3, points: 4)
        func lin(_ n: String) throws -> Linear {
            let w = try st.tensor("layer.\(n).weight")
            var l = Linear(inFeatures: w.shape[1], outFeatures: w.shape[0])
            l.weight = w; l.bias = try st.tensor("layer.\(n).bias")
            return l
        }
        layer.samplingOffsets = try lin("sampling_offsets"); layer.attentionWeights = try lin("attention_weights")
        layer.valueProj = try lin("value_proj"); layer.outputProj = try lin("output_proj")
        let lv = try st.tensor("levels").toArray()
        let levels = stride(from: 0, to: lv.count, by: 2).map { (h: Int(lv[$0]), w: Int(lv[$0 + 1])) }
        let mask = try st.tensor("value_mask").toArray().map { UInt8($0 != 0 ? 1 : 0) }
        XCTAssertTrue(mask.contains(0))
        for name in ["ref4", "ref2"] {
            let y = try mask.withUnsafeBufferPointer { m in
                layer(hidden: try st.tensor("hidden"), position: try st.tensor("position"), encoder: try st.tensor("encoder"),
                      levelShapes: levels, referencePoints: try st.tensor(name), valueMask: m.baseAddress, arena: TensorArena(), workspace: Workspace())
            }
            // Float32 both sides; GEMM and bilinear summation order differ: ≤ 1e-6 on outputs of magnitude ~1.
            assertAllClose(y.toArray(), try st.tensor("output_\(name)").toArray(), tolerance: 1e-5, name)
        }
    }
}
