import Foundation
import XCTest
import ZooTestSupport
@testable import ZooNN

/// The remaining layers against direct formulas.
final class LayerTests: XCTestCase {
    func testBatchNormPReLULinear() {
        var rng = SeededRandom(seed: 31)
        let x = randomTensor([2, 3, 4, 5], &rng)
        var bn = BatchNorm2d(channels: 3)
        bn.weight = randomTensor([3], &rng); bn.bias = randomTensor([3], &rng)
        bn.runningMean = randomTensor([3], &rng); bn.runningVar = randomTensor([3], &rng, 0.1...2)
        let y = bn(x)
        for n in 0..<2 { for c in 0..<3 { for h in 0..<4 { for w in 0..<5 {
            let e = (x[n, c, h, w] - bn.runningMean[c]) / (bn.runningVar[c] + bn.eps).squareRoot() * bn.weight[c] + bn.bias[c]
            XCTAssertEqual(y[n, c, h, w], e, accuracy: 1e-5)
        } } } }
        var p = PReLU(channels: 3); p.weight = randomTensor([3], &rng)
        let py = p(x)
        for n in 0..<2 { for c in 0..<3 { for h in 0..<4 { for w in 0..<5 {
            let v = x[n, c, h, w]; XCTAssertEqual(py[n, c, h, w], v > 0 ? v : p.weight[c] * v)
        } } } }
        var lin = Linear(inFeatures: 60, outFeatures: 7, activation: .tanh)
        lin.weight = randomTensor([7, 60], &rng); lin.bias = randomTensor([7], &rng)
        let ly = lin(x)
        XCTAssertEqual(ly.shape, [2, 7])
        for n in 0..<2 { for o in 0..<7 {
            var s: Double = Double(lin.bias![o])
            for i in 0..<60 { s += Double(x.pointer[n * 60 + i]) * Double(lin.weight[o, i]) }
            XCTAssertEqual(ly[n, o], Float(Foundation.tanh(s)), accuracy: 1e-5)  // 60 products + tanh
        } }
    }

    func testLayerNormSoftmaxPixelShuffle() {
        var rng = SeededRandom(seed: 32)
        let x = randomTensor([2, 3, 4, 6], &rng, -3...3)
        var ln = LayerNorm(normalizedShape: [4, 6], eps: 1e-5)
        ln.weight = randomTensor([4, 6], &rng); ln.bias = randomTensor([4, 6], &rng)
        let y = ln(x)
        for r in 0..<6 {
            let row = (0..<24).map { Double(x.pointer[r * 24 + $0]) }
            let mean = row.reduce(0, +) / 24, v = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 24
            for i in 0..<24 {
                let e = (row[i] - mean) / (v + 1e-5).squareRoot() * Double(ln.weight.pointer[i]) + Double(ln.bias.pointer[i])
                XCTAssertEqual(y.pointer[r * 24 + i], Float(e), accuracy: 1e-5)  // normalised values ≲ 5, float sums of 24
            }
        }
        let sm = Softmax(axis: 1)(x)
        for n in 0..<2 { for h in 0..<4 { for w in 0..<6 {
            XCTAssertEqual((0..<3).map { sm[n, $0, h, w] }.reduce(0, +), 1, accuracy: 1e-6)
        } } }
        let ps = PixelShuffle(upscale: 2)(randomTensor([1, 8, 3, 5], &rng))
        XCTAssertEqual(ps.shape, [1, 2, 6, 10])
        let src = randomTensor([2, 12, 3, 4], &rng)
        let out = PixelShuffle(upscale: 2)(src)
        for n in 0..<2 { for c in 0..<3 { for h in 0..<6 { for w in 0..<8 {
            XCTAssertEqual(out[n, c, h, w], src[n, c * 4 + (h % 2) * 2 + (w % 2), h / 2, w / 2])
        } } } }
    }

    func testPoolAndUpsampleLayersShapesAndValues() {
        let x = Tensor(shape: [1, 1, 4, 4], data: (0..<16).map(Float.init))
        XCTAssertEqual(MaxPool2d(kernel: 2)(x).toArray(), [5, 7, 13, 15])
        XCTAssertEqual(MaxPool2d(kernel: (2, 2), stride: (1, 1), padding: Padding(top: 0, left: 0, bottom: 1, right: 1))(x).shape, [1, 1, 4, 4])
        XCTAssertEqual(AvgPool2d(kernel: 2)(x).toArray(), [2.5, 4.5, 10.5, 12.5])
        XCTAssertEqual(AdaptiveAvgPool2d(outputSize: (1, 1))(x).toArray(), [7.5])
        let up = Upsample(scale: 2)(x)
        XCTAssertEqual(up.shape, [1, 1, 8, 8])
        XCTAssertEqual(up[0, 0, 3, 5], x[0, 0, 1, 2])
        let bl = Upsample(size: (7, 7), mode: .bilinear(alignCorners: true))(x)
        XCTAssertEqual(bl[0, 0, 6, 6], 15); XCTAssertEqual(bl[0, 0, 0, 0], 0); XCTAssertEqual(bl[0, 0, 3, 3], 7.5, accuracy: 1e-6)
        let act = ActivationLayer(.relu6)(Tensor(shape: [3], data: [-1, 3, 9]))
        XCTAssertEqual(act.toArray(), [0, 3, 6])
    }
}
