import Foundation
import XCTest
import ZooTestSupport
@testable import ZooImage

final class LetterboxTests: XCTestCase {
    func testGeometryMatchesUltralyticsConvention() {
        let lb = Letterbox(originalWidth: 640, originalHeight: 480, targetWidth: 416, targetHeight: 416)
        XCTAssertEqual(lb.scale, 0.65, accuracy: 1e-6)
        XCTAssertEqual(lb.resizedWidth, 416); XCTAssertEqual(lb.resizedHeight, 312)
        XCTAssertEqual(lb.padX, 0); XCTAssertEqual(lb.padY, 52)
        // Odd padding: the extra pixel goes right/bottom (left = round(dw - 0.1)).
        let odd = Letterbox(originalWidth: 37, originalHeight: 23, targetWidth: 64, targetHeight: 64)
        XCTAssertEqual(odd.resizedWidth, 64); XCTAssertEqual(odd.resizedHeight, 40)
        XCTAssertEqual(odd.padY, 12)
        let tall = Letterbox(originalWidth: 100, originalHeight: 301, targetWidth: 320, targetHeight: 320)
        XCTAssertEqual(tall.resizedHeight, 320); XCTAssertEqual(tall.resizedWidth, 106); XCTAssertEqual(tall.padX, 107)
        let noUp = Letterbox(originalWidth: 100, originalHeight: 50, targetWidth: 320, targetHeight: 320, allowUpscale: false)
        XCTAssertEqual(noUp.scale, 1); XCTAssertEqual(noUp.padX, 110); XCTAssertEqual(noUp.padY, 135)
    }

    func testPointsAndBoxesRoundTrip() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<200 {
            let w = Int.random(in: 1...2000, using: &rng), h = Int.random(in: 1...2000, using: &rng)
            let t = Int.random(in: 32...1024, using: &rng)
            let lb = Letterbox(originalWidth: w, originalHeight: h, targetWidth: t, targetHeight: Int.random(in: 32...1024, using: &rng))
            let x = Float.random(in: 0...Float(w), using: &rng), y = Float.random(in: 0...Float(h), using: &rng)
            let (lx, ly) = lb.toLetterboxed(x: x, y: y)
            let (ox, oy) = lb.toOriginal(x: lx, y: ly)
            XCTAssertEqual(ox, x, accuracy: 1e-3 * max(1, x)); XCTAssertEqual(oy, y, accuracy: 1e-3 * max(1, y))
            let box: [Float] = [x / 2, y / 2, x, y]
            let back = lb.toOriginal(box: lb.toLetterboxed(box: box))
            for i in 0..<4 { XCTAssertEqual(back[i], box[i], accuracy: 1e-3 * max(1, box[i])) }
            // Letterboxed coordinates of the original corners are the resized image's corners.
            let corner = lb.toLetterboxed(box: [0, 0, Float(w), Float(h)])
            XCTAssertEqual(corner[0], lb.padX); XCTAssertEqual(corner[1], lb.padY)
            // (within the rounding of the resized size, which is at least 1 pixel)
            if lb.resizedWidth > 1 { XCTAssertEqual(corner[2], lb.padX + Float(lb.resizedWidth), accuracy: 0.5 + 1e-3) }
            if lb.resizedHeight > 1 { XCTAssertEqual(corner[3], lb.padY + Float(lb.resizedHeight), accuracy: 0.5 + 1e-3) }
        }
        let lb = Letterbox(originalWidth: 640, originalHeight: 480, targetWidth: 416, targetHeight: 416)
        XCTAssertEqual(lb.toOriginal(box: [-10, 40, 500, 400], clip: true), [0, 0, 640, 480])
    }

    func testLetterboxedImageHasPaddingAndResizedContent() {
        var rng = SplitMix64(seed: 4)
        let img = randomImage(50, 20, &rng)
        let (canvas, lb) = img.letterboxed(width: 64, height: 48)
        XCTAssertEqual(canvas.width, 64); XCTAssertEqual(canvas.height, 48)
        XCTAssertEqual(lb.resizedWidth, 64); XCTAssertEqual(lb.resizedHeight, 26); XCTAssertEqual(lb.padY, 11)
        let inner = img.resized(width: 64, height: 26)
        XCTAssertEqual(canvas.cropped(x: 0, y: 11, width: 64, height: 26), inner)
        XCTAssertEqual(canvas.cropped(x: 0, y: 0, width: 64, height: 11), Image(width: 64, height: 11, fill: (114, 114, 114)))
        XCTAssertEqual(canvas.cropped(x: 0, y: 37, width: 64, height: 11), Image(width: 64, height: 11, fill: (114, 114, 114)))
    }
}
