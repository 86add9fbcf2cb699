import XCTest
import ZooTestSupport
@testable import ZooImage

/// PNG must round-trip exactly; JPEG at quality 95 stays close on a smooth image.
final class ImageEncoderTests: XCTestCase {
    func gradient(_ w: Int, _ h: Int) -> Image {
        var img = Image(width: w, height: h)
        for y in 0..<h { for x in 0..<w { img[x, y] = (UInt8(x * 255 / max(w - 1, 1)), UInt8(y * 255 / max(h - 1, 1)), UInt8((x + y) % 256)) } }
        return img
    }

    func testPNGRoundTripIsExact() throws {
        let img = gradient(37, 23)
        let data = try ImageEncoder.png(img)
        XCTAssertEqual(ImageFormat.sniff(data), .png)
        XCTAssertEqual(try ImageDecoder.decode(data), img)
    }

    func testJPEGRoundTripIsClose() throws {
        var img = Image(width: 64, height: 48)
        for y in 0..<48 { for x in 0..<64 { img[x, y] = (UInt8(x * 4), UInt8(y * 5), 128) } }
        let data = try ImageEncoder.jpeg(img, quality: 95)
        XCTAssertEqual(ImageFormat.sniff(data), .jpeg)
        let back = try ImageDecoder.decode(data)
        XCTAssertEqual(back.width, 64); XCTAssertEqual(back.height, 48)
        let maxDiff = zip(back.pixels, img.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        // Quality 95 with 4:2:0 chroma subsampling on a smooth gradient: a few levels at most.
        XCTAssertLessThanOrEqual(maxDiff, 8)
    }

    func testWriteChoosesFormatFromExtension() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-enc-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = gradient(20, 10)
        try ImageEncoder.write(img, to: dir.appendingPathComponent("a.png"))
        try ImageEncoder.write(img, to: dir.appendingPathComponent("b.JPEG"))
        XCTAssertEqual(ImageFormat.sniff(try Data(contentsOf: dir.appendingPathComponent("a.png"))), .png)
        XCTAssertEqual(ImageFormat.sniff(try Data(contentsOf: dir.appendingPathComponent("b.JPEG"))), .jpeg)
        XCTAssertThrowsError(try ImageEncoder.write(img, to: dir.appendingPathComponent("c.bmp"))) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .unsupportedExtension("bmp"))
        }
        XCTAssertThrowsError(try ImageEncoder.write(img, to: dir.appendingPathComponent("missing/d.png"))) { e in
            guard case .writeFailed(let why)? = (e as? ImageError)?.kind else { return XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("missing/d.png"), "\(e)")
            print("write error text: \(why)")
        }
        XCTAssertThrowsError(try ImageEncoder.png(Image(width: 0, height: 5)))
        XCTAssertThrowsError(try ImageEncoder.jpeg(img, quality: 0))
    }
}
