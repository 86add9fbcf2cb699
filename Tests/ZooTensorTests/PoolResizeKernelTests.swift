import XCTest
import ZooTestSupport
@testable import ZooTensor

/// Pooling and resize kernels against the naive references (explicit padded image; textbook bilinear).
final class PoolResizeKernelTests: XCTestCase {
    func testPoolingAgainstPaddedImageReference() {
        var rng = SeededRandom(seed: 11)
        let configs: [(k: (Int, Int), s: (Int, Int), p: Padding, ceil: Bool, shape: [Int])] = [
            ((2, 2), (2, 2), .zero, false, [2, 3, 8, 10]),
            ((2, 2), (2, 2), .zero, true, [1, 2, 7, 9]),
            ((3, 3), (2, 2), Padding(1), true, [1, 2, 8, 11]),
            ((3, 3), (2, 2), Padding(1), false, [2, 1, 9, 6]),
            ((2, 2), (1, 1), Padding(top: 0, left: 0, bottom: 1, right: 1), false, [1, 3, 13, 13]),
            ((5, 3), (3, 2), Padding(top: 2, left: 1, bottom: 0, right: 1), true, [1, 2, 10, 7]),
            ((3, 3), (1, 1), Padding(1), false, [1, 4, 5, 5]),
        ]
        for (i, c) in configs.enumerated() {
            let x = randomTensor(c.shape, &rng)
            let g = Pool2dGeometry(input: c.shape, kernel: c.k, stride: c.s, padding: c.p, ceilMode: c.ceil)
            let y = Tensor(zeros: g.outputShape), r = Tensor(zeros: g.outputShape)
            PoolKernels.max(g, input: x.pointer, output: y.pointer)
            Reference.pool2d(g, max: true, input: x.pointer, output: r.pointer)
            XCTAssertEqual(y.toArray(), r.toArray(), "max \(i)")
            for cip in [true, false] {
                PoolKernels.average(g, countIncludePad: cip, input: x.pointer, output: y.pointer)
                Reference.pool2d(g, max: false, countIncludePad: cip, input: x.pointer, output: r.pointer)
                assertAllClose(y.toArray(), r.toArray(), tolerance: 1e-6, "avg \(i) countIncludePad \(cip)")  // ≤ 15 adds
            }
        }
    }

    func testCeilModeDropsWindowStartingInPadding() {
        // PyTorch: MaxPool2d(2, 2, padding=1, ceil_mode=True) on 4×4 gives 3×3 (not 4×4: the 4th window would start in the right padding).
        let g = Pool2dGeometry(input: [1, 1, 4, 4], kernel: (2, 2), stride: (2, 2), padding: Padding(1), ceilMode: true)
        XCTAssertEqual(g.outputShape, [1, 1, 3, 3])
        let g2 = Pool2dGeometry(input: [1, 1, 5, 5], kernel: (2, 2), stride: (2, 2), padding: .zero, ceilMode: true)
        XCTAssertEqual(g2.outputShape, [1, 1, 3, 3])
    }

    func testAdaptiveAveragePool() {
        var rng = SeededRandom(seed: 12)
        for (ih, iw, oh, ow) in [(7, 9, 3, 4), (5, 5, 1, 1), (4, 6, 4, 6), (3, 5, 5, 7), (10, 3, 4, 2)] {
            let x = randomTensor([2, 3, ih, iw], &rng)
            let y = Tensor(zeros: [2, 3, oh, ow]), r = Tensor(zeros: [2, 3, oh, ow])
            PoolKernels.adaptiveAverage(batch: 2, channels: 3, inH: ih, inW: iw, outH: oh, outW: ow, input: x.pointer, output: y.pointer)
            Reference.adaptiveAvgPool(batch: 2, channels: 3, inH: ih, inW: iw, outH: oh, outW: ow, input: x.pointer, output: r.pointer)
            assertAllClose(y.toArray(), r.toArray(), tolerance: 1e-6)  // ≤ 70 float adds of values in [-1, 1]
        }
    }

    func testResizeAgainstReference() {
        var rng = SeededRandom(seed: 13)
        let ws = Workspace()
        for (ih, iw, oh, ow) in [(5, 7, 10, 14), (4, 4, 12, 12), (6, 9, 4, 5), (3, 5, 7, 11), (1, 1, 3, 2), (8, 3, 8, 3)] {
            let x = randomTensor([2, 2, ih, iw], &rng)
            let y = Tensor(zeros: [2, 2, oh, ow]), r = Tensor(zeros: [2, 2, oh, ow])
            let sh = Float(ih) / Float(oh), sw = Float(iw) / Float(ow)
            ResizeKernels.nearest(planes: 4, inH: ih, inW: iw, outH: oh, outW: ow, scaleH: sh, scaleW: sw,
                                  input: x.pointer, output: y.pointer, workspace: ws)
            Reference.nearest(planes: 4, inH: ih, inW: iw, outH: oh, outW: ow, scaleH: sh, scaleW: sw, input: x.pointer, output: r.pointer)
            XCTAssertEqual(y.toArray(), r.toArray(), "nearest \(ih)x\(iw)->\(oh)x\(ow)")
            for ac in [false, true] {
                ResizeKernels.bilinear(planes: 4, inH: ih, inW: iw, outH: oh, outW: ow, scaleH: sh, scaleW: sw, alignCorners: ac,
                                       input: x.pointer, output: y.pointer, workspace: ws)
                Reference.bilinear(planes: 4, inH: ih, inW: iw, outH: oh, outW: ow, scaleH: sh, scaleW: sw, alignCorners: ac,
                                   input: x.pointer, output: r.pointer)
                // Float source coordinates vs Double: weights differ by ~1e-7 relative, values in [-1, 1].
                assertAllClose(y.toArray(), r.toArray(), tolerance: 2e-6, "bilinear ac=\(ac) \(ih)x\(iw)->\(oh)x\(ow)")
            }
        }
    }
}
