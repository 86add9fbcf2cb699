import Foundation
import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

final class DarknetWeightsTests: XCTestCase {
    func testHeaderSeenIsInt64FromVersion0_2AndInt32Before() throws {
        let w64 = try DarknetWeights(data: DarknetTestSupport.weightsFile([1, 2, 3], major: 0, minor: 2))
        XCTAssertEqual(w64.seen, 32013)
        XCTAssertEqual(w64.floatCount, 3)
        let w32 = try DarknetWeights(data: DarknetTestSupport.weightsFile([1, 2, 3], major: 0, minor: 1))
        XCTAssertEqual(w32.seen, 32013)
        XCTAssertEqual(w32.floatCount, 3)
        var r = w32
        XCTAssertEqual(try r.take(2, for: "t"), [1, 2])
        XCTAssertEqual(try r.take(1, for: "t"), [3])
        XCTAssertNoThrow(try r.finish())
    }

    func testShortAndRaggedFilesAreErrors() {
        XCTAssertThrowsError(try DarknetWeights(data: Data([1, 2, 3]), path: "w.weights")) { e in
            XCTAssertTrue("\(e)".contains("w.weights"), "\(e)")
        }
        var d = DarknetTestSupport.weightsFile([1, 2])
        d.append(0)
        XCTAssertThrowsError(try DarknetWeights(data: d, path: "w.weights")) { e in
            XCTAssertTrue("\(e)".contains("whole number"), "\(e)")
        }
    }

    let cfg = """
    [net]
    width=32
    height=32
    channels=3

    [convolutional]
    batch_normalize=1
    filters=4
    size=3
    stride=2
    pad=1
    activation=leaky

    [convolutional]
    filters=14
    size=1
    activation=linear

    [yolo]
    mask=0,1
    anchors=4,5, 8,9
    classes=2
    num=2
    """

    func testFloatCountMustMatchExactly() throws {
        let config = try DarknetConfig(text: cfg, source: "tiny.cfg")
        let need = try DarknetNetwork.requiredFloatCount(config)
        XCTAssertEqual(need, 4 * 4 + 4 * 3 * 9 + 14 + 14 * 4)
        var exact = try DarknetWeights(data: DarknetTestSupport.weightsFile([Float](repeating: 0.5, count: need)))
        XCTAssertNoThrow(try DarknetNetwork(config: config, weights: &exact))
        var long = try DarknetWeights(data: DarknetTestSupport.weightsFile([Float](repeating: 0.5, count: need + 1)), path: "long.weights")
        XCTAssertThrowsError(try DarknetNetwork(config: config, weights: &long)) { e in
            XCTAssertTrue("\(e)".contains("long.weights"), "\(e)")
            XCTAssertTrue("\(e)".contains("1 of"), "\(e)")
        }
        var short = try DarknetWeights(data: DarknetTestSupport.weightsFile([Float](repeating: 0.5, count: need - 1)), path: "short.weights")
        XCTAssertThrowsError(try DarknetNetwork(config: config, weights: &short)) { e in
            XCTAssertTrue("\(e)".contains("short.weights"), "\(e)")
            XCTAssertTrue("\(e)".contains("tiny.cfg:14 [convolutional]"), "names the section that ran short: \(e)")
        }
    }

    /// Weight order per conv (darknet): biases, scales, rolling_mean, rolling_variance, weights; checked against a
    /// naive darknet forward (y = scale · (conv − mean) / sqrt(var + 1e-6) + bias (OpenCV's eps), then leaky 0.1).
    func testBatchNormConvolutionMatchesNaiveDarknetFormula() throws {
        let config = try DarknetConfig(text: cfg, source: "tiny.cfg")
        let need = try DarknetNetwork.requiredFloatCount(config)
        let floats = (0..<need).map { DarknetTestSupport.random($0, seed: 3, lo: 0.05, hi: 1) }
        var w = try DarknetWeights(data: DarknetTestSupport.weightsFile(floats))
        let net = try DarknetNetwork(config: config, weights: &w)
        let x = DarknetTestSupport.input(3, 32, 32)
        _ = try net.forward(x)
        let conv0 = try net.layerOutputs(for: x.shape)[0]
        XCTAssertEqual(conv0.shape, [1, 4, 16, 16])
        let n = 4
        let biases = Array(floats[0..<n]), scales = Array(floats[n..<2 * n])
        let mean = Array(floats[2 * n..<3 * n]), variance = Array(floats[3 * n..<4 * n])
        let weights = Array(floats[4 * n..<(4 * n + n * 27)])
        var expected = [Float](repeating: 0, count: n * 16 * 16)
        for o in 0..<n { for oy in 0..<16 { for ox in 0..<16 {
            var s: Float = 0
            for c in 0..<3 { for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx
                if iy < 0 || iy >= 32 || ix < 0 || ix >= 32 { continue }
                s += weights[((o * 3 + c) * 3 + ky) * 3 + kx] * x[0, c, iy, ix]
            } } }
            var v = scales[o] * (s - mean[o]) / (variance[o] + 1e-6).squareRoot() + biases[o]
            v = v > 0 ? v : 0.1 * v
            expected[(o * 16 + oy) * 16 + ox] = v
        } } }
        // float32 sums of 27 products in a different order: ~1e-6 relative.
        assertAllClose(conv0.toArray(), expected, tolerance: 1e-4)
    }
}
