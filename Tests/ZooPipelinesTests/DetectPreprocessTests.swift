import Foundation
import XCTest
import ZooDetect
import ZooImage
import ZooModels
import ZooPipelines
import ZooTestSupport

final class DetectPreprocessTests: XCTestCase {
    func gradient(_ w: Int, _ h: Int) -> Image {
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { let i = (y * w + x) * 3; px[i] = UInt8(x % 256); px[i + 1] = UInt8(y % 256); px[i + 2] = UInt8((x + y) % 256) } }
        return Image(width: w, height: h, pixels: px)
    }

    func testLetterboxTensorAndInverseMapping() throws {
        let p = try Preprocess(input: ModelInput(width: 416, height: 416))
        let img = gradient(200, 100)
        let (t, tr) = p(img)
        XCTAssertEqual(t.shape, [1, 3, 416, 416])
        XCTAssertEqual(tr.scaleX, 2.08, accuracy: 1e-6)
        XCTAssertEqual(tr.padX, 0); XCTAssertEqual(tr.padY, 104)
        XCTAssertEqual(t[0, 0, 0, 0], 128 / 255, accuracy: 1e-7, "padding is grey 128")
        XCTAssertEqual(t[0, 1, 415, 415], 128 / 255, accuracy: 1e-7)
        // box round trip: original → letterbox → original
        let b = Box(x1: 10, y1: 20, x2: 150, y2: 90)
        let lb = Box(x1: b.x1 * tr.scaleX + tr.padX, y1: b.y1 * tr.scaleY + tr.padY, x2: b.x2 * tr.scaleX + tr.padX, y2: b.y2 * tr.scaleY + tr.padY)
        let back = tr.toOriginal(lb)
        assertAllClose(back.corners, b.corners, tolerance: 1e-4)
        // clipped to the image
        XCTAssertEqual(tr.toOriginal(Box(x1: -50, y1: 0, x2: 500, y2: 416)).corners, [0, 0, 200, 100])
    }

    func testStretchIsAPlainResizeLikeBlobFromImage() throws {
        let p = try Preprocess(input: ModelInput(width: 64, height: 32), resize: .stretch)
        let img = gradient(128, 128)
        let (t, tr) = p(img)
        XCTAssertEqual(t.shape, [1, 3, 32, 64])
        XCTAssertEqual(tr.scaleX, 0.5); XCTAssertEqual(tr.scaleY, 0.25)
        let expected = img.resized(width: 64, height: 32).planar(order: .rgb, scale: 1.0 / 255)
        XCTAssertEqual(t.toArray(), expected)
        let bgr = try Preprocess(input: ModelInput(width: 64, height: 32, channelOrder: .bgr), resize: .stretch)(img).tensor
        XCTAssertEqual(Array(bgr.toArray()[0..<(64 * 32)]), Array(expected[(2 * 64 * 32)...]), "BGR puts blue first")
    }

    func testSizeMustBeAMultiple() {
        XCTAssertThrowsError(try Preprocess(input: ModelInput(width: 416, height: 416), size: 420)) { e in
            XCTAssertTrue("\(e)".contains("420"), "\(e)")
        }
        XCTAssertEqual(try Preprocess(input: ModelInput(width: 416, height: 416), size: 320).shape, [1, 3, 320, 320])
    }
}
