import Foundation
import XCTest
import ZooTestSupport
@testable import ZooImage

final class PlanarAndGeometryTests: XCTestCase {
    /// The table-driven writer against the per-pixel formula, for both channel orders, on random shapes.
    func testWritePlanarEqualsNaiveFormula() {
        var rng = SplitMix64(seed: 21)
        for (w, h) in [(1, 1), (7, 3), (37, 23), (300, 260)] {
            let img = randomImage(w, h, &rng)
            let mean: (Float, Float, Float) = (0.485, 0.456, 0.406), std: (Float, Float, Float) = (0.229, 0.224, 0.225)
            for order in PixelOrder.allCases {
                let got = img.planar(order: order, scale: 1 / 255, mean: mean, std: std)
                var want = [Float](repeating: 0, count: 3 * w * h)
                let m = [mean.0, mean.1, mean.2], s = [std.0, std.1, std.2]
                for y in 0..<h {
                    for x in 0..<w {
                        let p = img[x, y]
                        let rgb = [p.0, p.1, p.2]
                        for c in 0..<3 {
                            let v = rgb[order == .rgb ? c : 2 - c]
                            want[c * w * h + y * w + x] = (Float(v) * (1 / 255) - m[c]) / s[c]
                        }
                    }
                }
                XCTAssertEqual(got, want, "\(w)x\(h) \(order)")
            }
        }
        let px = Image(width: 1, height: 1, fill: (10, 20, 30))
        XCTAssertEqual(px.planar(order: .bgr), [30, 20, 10])
        XCTAssertEqual(px.planar(order: .rgb, scale: 2, mean: (1, 2, 3), std: (1, 2, 4)), [19, 19, 14.25])
    }

    func testCropIsClipped() {
        var rng = SplitMix64(seed: 2)
        let img = randomImage(10, 6, &rng)
        let c = img.cropped(x: 7, y: 4, width: 10, height: 10)
        XCTAssertEqual(c.width, 3); XCTAssertEqual(c.height, 2)
        XCTAssertTrue(c[0, 0] == img[7, 4] && c[2, 1] == img[9, 5])
        XCTAssertEqual(img.cropped(x: 20, y: 0, width: 5, height: 5).pixels.count, 0)
        XCTAssertEqual(img.cropped(x: -3, y: -3, width: 5, height: 5), img.cropped(x: 0, y: 0, width: 2, height: 2))
    }
}
