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

/// Found by `scripts/fuzz.sh mxnet`: an MXNet array header declaring a huge shape used to allocate it before
/// reading (out of memory) — and a product of eight large dimensions overflowed. Both are errors now.
final class MXNetShapeLimitTests: XCTestCase {
    func params(dims: [Int64]) -> Data {
        var d = Data()
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        put(UInt64(0x112)); put(UInt64(0)); put(UInt64(1))                 // magic, reserved, one array
        put(UInt32(0xF993_FAC9)); put(Int32(0)); put(UInt32(dims.count))    // array magic, dense, ndim
        for x in dims { put(x) }
        put(Int32(1)); put(Int32(0)); put(Int32(0))                         // dev_type, dev_id, float32
        put(Float(1).bitPattern); put(Float(2).bitPattern)                  // far fewer values than declared
        return d
    }

    func testHugeShapeIsRefusedBeforeAllocating() {
        for dims: [Int64] in [[1 << 30, 64], [Int64(1) << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30]] {
            XCTAssertThrowsError(try MXNetParams(data: params(dims: dims))) { e in
                XCTAssertTrue("\(e)".contains("array #0") && "\(e)".contains("bytes left"), "\(e)")
            }
        }
    }
}
