import XCTest
import ZooTestSupport
@testable import ZooNN

/// `MultiheadAttention` with PyTorch's packed layout against `torch.nn.MultiheadAttention(32, 4, batch_first=True)`
/// with a key padding mask (fixture by scripts/make_detr_fixtures.py).
final class MultiheadAttentionTests: XCTestCase {
    func testPackedInProjectionMatchesTorch() throws {
        let st = try SafeTensors(contentsOf: TestData.fixture("detr/mha_torch.safetensors"))
        var mha = MultiheadAttention(embedDim: 32, numHeads: 4)
        try mha.setPackedInProjection(weight: try st.tensor("mha.in_proj_weight"), bias: try st.tensor("mha.in_proj_bias"))
        mha.outProj.weight = try st.tensor("mha.out_proj.weight")
        mha.outProj.bias = try st.tensor("mha.out_proj.bias")
        let mask = try st.tensor("key_padding_mask").toArray().map { UInt8($0 != 0 ? 1 : 0) }
        let arena = TensorArena()
        let y = mask.withUnsafeBufferPointer {
            mha(query: try! st.tensor("query"), key: try! st.tensor("key"), value: try! st.tensor("value"),
                keyPaddingMask: $0.baseAddress, arena: arena, workspace: Workspace())
        }
        XCTAssertEqual(y.shape, [2, 7, 32])
        // Four float32 GEMMs and a softmax in a different order than ATen's: ≤ 1e-6 on outputs of magnitude ~1.
        assertAllClose(y.toArray(), try st.tensor("output").toArray(), tolerance: 1e-5)
    }

    func testPackedShapesAreChecked() {
        var mha = MultiheadAttention(embedDim: 8, numHeads: 2)
        XCTAssertThrowsError(try mha.setPackedInProjection(weight: Tensor(zeros: [16, 8]), bias: nil)) {
            XCTAssertTrue("\($0)".contains("in_proj_weight has shape [16, 8], expected [24, 8]"))
        }
        XCTAssertThrowsError(try mha.setPackedInProjection(weight: Tensor(zeros: [24, 8]), bias: Tensor(zeros: [8])))
    }

    func testSineEmbeddingWithoutMaskIsTheUnpaddedCase() {
        // No mask = every cell valid; channel 0 of the first cell is sin(1 / (H + 1e-6) · 2π).
        let pe = PositionEmbeddingSine(numPosFeats: 8)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 4 * 16)
        defer { out.deallocate() }
        pe.embed(batch: 1, height: 3, width: 4, mask: nil, into: out)
        XCTAssertEqual(out[0], sinf(1 / (3 + 1e-6) * 2 * .pi), accuracy: 1e-6)
        XCTAssertEqual(out[1], cosf(1 / (3 + 1e-6) * 2 * .pi), accuracy: 1e-6)
        XCTAssertEqual(out[8], sinf(1 / (4 + 1e-6) * 2 * .pi), accuracy: 1e-6)   // x half starts at channel F
        let ones = [UInt8](repeating: 1, count: 12)
        let masked = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 4 * 16)
        defer { masked.deallocate() }
        ones.withUnsafeBufferPointer { pe.embed(batch: 1, height: 3, width: 4, mask: $0.baseAddress, into: masked) }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: out, count: 192)), Array(UnsafeBufferPointer(start: masked, count: 192)))
    }
}
