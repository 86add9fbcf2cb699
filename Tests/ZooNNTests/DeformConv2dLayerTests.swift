import XCTest
import ZooTestSupport
@testable import ZooNN

/// The `DeformConv2d` layer against torchvision 0.29.1 `ops.deform_conv2d` (scripts/make_deform_conv_fixtures.py).
final class DeformConv2dLayerTests: XCTestCase {
    func testMatchesTorchvisionFixture() throws {
        let st = try SafeTensors(contentsOf: TestData.fixture("engine/deform_conv2d_torchvision.safetensors"))
        // caseC: groups 2, offset groups 2 (inferred from the offset), dilation 2, pad 2, mask, no bias, 11×13 input
        let x = try st.tensor("caseC.input"), w = try st.tensor("caseC.weight")
        var layer = DeformConv2d(inChannels: 4, outChannels: 6, kernel: 3, padding: 2, dilation: 2, groups: 2, bias: false)
        layer.weight = w
        let arena = TensorArena(), ws = Workspace()
        let y = try layer(x, offset: try st.tensor("caseC.offset"), mask: try st.tensor("caseC.mask"), arena: arena, workspace: ws)
        let expected = try st.tensor("caseC.output")
        XCTAssertEqual(y.shape, expected.shape)
        assertAllClose(y.toArray(), expected.toArray(), tolerance: 1e-4)   // float32 both sides, different summation order
        // shape checks throw: a mask of 9 channels where 2 offset groups × 9 taps need 18
        XCTAssertThrowsError(try layer(x, offset: try st.tensor("caseC.offset"), mask: Tensor(zeros: [1, 9, 11, 13])))
        // caseA (bias, no mask)
        var a = DeformConv2d(inChannels: 4, outChannels: 5, kernel: 3, padding: 1)
        a.weight = try st.tensor("caseA.weight"); a.bias = try st.tensor("caseA.bias")
        let ya = try a(try st.tensor("caseA.input"), offset: try st.tensor("caseA.offset"))
        assertAllClose(ya.toArray(), try st.tensor("caseA.output").toArray(), tolerance: 1e-4)
    }
}
