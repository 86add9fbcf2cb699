import XCTest
import ZooTestSupport
@testable import ZooTensor

/// Vectorised activations against the scalar formulas of `Activation.apply(_:)`.
final class VectorMathTests: XCTestCase {
    func testActivationsMatchScalarFormulas() {
        var xs: [Float] = stride(from: -30, through: 30, by: 0.0137).map { Float($0) }
        xs += [0, -0, 1e-8, -1e-8, 20, 20.0001, 19.999, -87, 88, 100, -100, 3, -3]
        let acts: [Activation] = [.linear, .relu, .leaky(0.1), .relu6, .silu, .mish, .sigmoid, .tanh, .hardswish, .gelu]
        for a in acts {
            let t = Tensor(shape: [xs.count], data: xs)
            let y = Tensor(zeros: [xs.count])
            Ops.activate(t, a, into: y)
            let ref = xs.map { a.apply($0) }
            // Polynomial exp/erf: relative error ~1e-6 of outputs up to |x| = 30, so 4e-6 · max(1, |y|).
            let got = y.toArray()
            for i in 0..<xs.count {
                let tol: Float = 4e-6 * max(1, abs(ref[i]))
                XCTAssertLessThanOrEqual(abs(got[i] - ref[i]), tol, "\(a) at x=\(xs[i]): \(got[i]) vs \(ref[i])")
            }
        }
    }

    func testInPlaceActivationAndOddLengths() {
        for n in [1, 7, 8, 9, 33] {
            let t = Tensor(shape: [n], data: (0..<n).map { Float($0) - 4 })
            let ref = t.toArray().map { Activation.silu.apply($0) }
            Ops.activate(t, .silu, into: t)
            assertAllClose(t.toArray(), ref, tolerance: 1e-5)
        }
    }
}
