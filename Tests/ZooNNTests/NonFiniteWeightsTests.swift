import Foundation
import XCTest
import ZooNN
import ZooTestSupport

/// Issue 14 item 9: NaN/Inf in weights is an error naming the tensor. The ONNX, torch pickle, MXNet and dlib
/// readers share `WeightLimits.nonFiniteProblem` (darknet: DarknetHardeningTests).
final class NonFiniteWeightsTests: XCTestCase {
    /// A parseable one-conv ONNX model whose weight holds a NaN (scripts/make_nonfinite_onnx.py).
    func testNaNInONNXWeightIsAnErrorNamingTheInitializer() throws {
        let model = try ONNXModel(contentsOf: TestData.fixture("weights/nan_conv.onnx"))
        var w = ONNXWeightImporter(model)
        XCTAssertThrowsError(try w.conv2d("conv", in: 2, out: 2, kernel: 3, padding: 1)) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("conv.weight") && m.contains("NaN at element 5"), m)
        }
    }

    func testNonFiniteDescription() {
        let values: [Float] = [1, 2, -.infinity]
        let d = values.withUnsafeBufferPointer { WeightLimits.nonFiniteProblem($0.baseAddress!, count: 3) }
        XCTAssertEqual(d, "holds -inf at element 2 of 3 (corrupt weights)")
        XCTAssertNil([Float](repeating: 1, count: 4).withUnsafeBufferPointer { WeightLimits.nonFiniteProblem($0.baseAddress!, count: 4) })
    }
}
