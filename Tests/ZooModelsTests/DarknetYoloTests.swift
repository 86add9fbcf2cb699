import Foundation
import XCTest
import ZooDetect
import ZooModels
import ZooNN
import ZooTestSupport

/// `YoloLayer` decoding against the formulas written out naively, and candidate extraction.
final class DarknetYoloTests: XCTestCase {
    func naive(_ x: Tensor, _ l: YoloLayer, netW: Int, netH: Int) -> [Float] {
        let h = x.shape[2], w = x.shape[3], na = l.anchors.count, st = 5 + l.classes
        var out = [Float](repeating: 0, count: h * w * na * st)
        func sig(_ v: Float) -> Float { 1 / (1 + exp(-v)) }
        for gy in 0..<h { for gx in 0..<w { for a in 0..<na {
            func t(_ k: Int) -> Float { x[0, a * st + k, gy, gx] }
            let r = ((gy * w + gx) * na + a) * st
            let s = l.scaleXY
            if l.newCoords {
                out[r] = (Float(gx) + t(0) * s - (s - 1) / 2) / Float(w)
                out[r + 1] = (Float(gy) + t(1) * s - (s - 1) / 2) / Float(h)
                out[r + 2] = t(2) * t(2) * 4 * l.anchors[a].width / Float(netW)
                out[r + 3] = t(3) * t(3) * 4 * l.anchors[a].height / Float(netH)
                out[r + 4] = t(4)
                for c in 0..<l.classes { out[r + 5 + c] = t(4) * t(5 + c) }
            } else {
                out[r] = (Float(gx) + sig(t(0)) * s - (s - 1) / 2) / Float(w)
                out[r + 1] = (Float(gy) + sig(t(1)) * s - (s - 1) / 2) / Float(h)
                out[r + 2] = exp(t(2)) * l.anchors[a].width / Float(netW)
                out[r + 3] = exp(t(3)) * l.anchors[a].height / Float(netH)
                out[r + 4] = sig(t(4))
                for c in 0..<l.classes { out[r + 5 + c] = sig(t(4)) * sig(t(5 + c)) }
            }
        } } }
        return out
    }

    func testDecodeMatchesNaiveFormulas() {
        for (newCoords, sxy) in [(false, Float(1)), (false, 1.05), (true, 2.0)] {
            let l = YoloLayer(anchors: [(10, 14), (23, 27), (37, 58)], classes: 4, scaleXY: sxy, newCoords: newCoords)
            let x = DarknetTestSupport.input(27, 5, 6, seed: newCoords ? 3 : 4)
            if !newCoords { for i in 0..<x.count { x.pointer[i] = x.pointer[i] * 8 - 4 } }
            let y = Tensor(zeros: l.outputShape(for: x.shape))
            XCTAssertEqual(y.shape, [1, 90, 9])
            l.decode(x, networkSize: (192, 160), into: y)
            assertAllClose(y.toArray(), naive(x, l, netW: 192, netH: 160), tolerance: 1e-6, "new_coords=\(newCoords) sxy=\(sxy)")
        }
    }

    func testCandidatesAreMultiLabelAboveThresholdInInputPixels() {
        let out = Tensor(zeros: [1, 2, 8])   // 2 rows, 3 classes
        // row 0: centre (0.5, 0.25), size (0.2, 0.1), obj 0.9, class scores 0.6, 0.3, 0.1
        for (i, v) in [Float(0.5), 0.25, 0.2, 0.1, 0.9, 0.6, 0.3, 0.1].enumerated() { out.pointer[i] = v }
        // row 1: objectness below the threshold
        for (i, v) in [Float(0.5), 0.5, 0.5, 0.5, 0.2, 0.19, 0.0, 0.0].enumerated() { out.pointer[8 + i] = v }
        let c = YOLOHead.candidates([out], inputWidth: 400, inputHeight: 200, confidence: 0.25)
        XCTAssertEqual(c.count, 2)
        XCTAssertEqual(c.map(\.classID), [0, 1])
        XCTAssertEqual(c[0].box, Box(x1: 160, y1: 40, x2: 240, y2: 60))
        XCTAssertEqual(c[1].score, 0.3)
    }
}
