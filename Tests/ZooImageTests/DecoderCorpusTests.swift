import Foundation
import XCTest
import ZooTestSupport
@testable import ZooImage

/// Decodes every corpus image (scripts/make_image_corpus.py) and compares with Pillow 13.0.0's decode.
///
/// Tolerances: PNG is lossless and our conversions (palette, tRNS, 16→8 high byte, alpha compositing with
/// Pillow's DIV255 rounding) reproduce Pillow's integer arithmetic, so PNG must match exactly. JPEG: Pillow bundles
/// libjpeg-turbo 3.2.0, we link the system libjpeg-turbo 2.1.5; both run the same ISLOW integer IDCT and fancy
/// upsampling, so they agree (measured: bit-identical on every corpus JPEG, progressive and CMYK/YCCK included, and on all
/// 18 real photos); the bound is ±1 level so that a different libjpeg(-turbo) build whose SIMD IDCT rounds
/// differently still passes.
final class DecoderCorpusTests: XCTestCase {
    static let jpegTolerance = 1

    func testCorpusMatchesPillow() throws {
        let entries = try Fixture.json([Fixture.CorpusEntry].self, "corpus/manifest.json")
        XCTAssertGreaterThanOrEqual(entries.count, 38)
        var report: [String] = []
        for e in entries {
            var options = DecodeOptions()
            options.background = (UInt8(e.background[0]), UInt8(e.background[1]), UInt8(e.background[2]))
            let url = Fixture.root.appendingPathComponent("corpus/" + e.file)
            let image = try ImageDecoder.decode(contentsOf: url, options: options)
            XCTAssertEqual(image.width, e.width, e.file)
            XCTAssertEqual(image.height, e.height, e.file)
            let expected = [UInt8](try Fixture.bytes("corpus/" + e.expected))
            guard image.pixels.count == expected.count else { XCTFail("\(e.file): size"); continue }
            let d = byteDiff(image.pixels, expected)
            report.append("\(e.expected): max \(d.max), \(d.count) bytes differ")
            let tolerance = e.file.hasSuffix(".png") ? 0 : Self.jpegTolerance
            XCTAssertLessThanOrEqual(d.max, tolerance, "\(e.expected) vs Pillow: \(d.count) bytes differ")
        }
        print("corpus parity:\n  " + report.joined(separator: "\n  "))
    }

    /// WebP (system libwebp 1.2 vs Pillow's 1.6) and BMP (our decoder) against Pillow: lossless WebP and every BMP
    /// exactly; lossy WebP within ±1 level (the VP8 decoder is bit-exact by specification; the bound only covers a
    /// libwebp build whose YUV→RGB SIMD rounds differently — measured 0 here).
    func testWebPAndBMPMatchPillow() throws {
        let entries = try Fixture.json([Fixture.CorpusEntry].self, "formats/manifest.json")
        XCTAssertEqual(entries.filter { $0.file.hasSuffix(".bmp") }.count, 11)
        XCTAssertEqual(entries.filter { $0.file.hasSuffix(".webp") }.count, 3)
        var report: [String] = []
        for e in entries {
            let data = try Fixture.bytes("formats/" + e.file)
            XCTAssertEqual(ImageFormat.sniff(data), e.file.hasSuffix(".bmp") ? .bmp : .webp, e.file)
            let size = try ImageDecoder.size(of: data, name: e.file)
            XCTAssertEqual([size.width, size.height], [e.width, e.height], e.file)
            let image = try ImageDecoder.decode(data, name: e.file)
            XCTAssertEqual([image.width, image.height], [e.width, e.height], e.file)
            let expected = [UInt8](try Fixture.bytes("formats/" + e.expected))
            guard image.pixels.count == expected.count else { XCTFail("\(e.file): size"); continue }
            let d = byteDiff(image.pixels, expected)
            report.append("\(e.file): max \(d.max), \(d.count) bytes differ")
            XCTAssertLessThanOrEqual(d.max, e.file == "webp_lossy.webp" ? 1 : 0, "\(e.file) vs Pillow: \(d.count) bytes differ")
        }
        print("WebP/BMP parity:\n  " + report.joined(separator: "\n  "))
    }

    /// Malformed WebP/BMP: named errors, never a crash; a huge declared size is refused before allocation.
    func testMalformedWebPAndBMPAreNamedErrors() throws {
        let bmp = [UInt8](try Fixture.bytes("formats/bmp_rgb24.bmp"))
        let webp = [UInt8](try Fixture.bytes("formats/webp_lossy.webp"))
        for cut in [2, 20, 60, bmp.count - 1] {
            XCTAssertThrowsError(try ImageDecoder.decode(Data(bmp.prefix(cut)), name: "cut.bmp")) { e in
                XCTAssertTrue("\(e)".contains("cut.bmp"), "\(e)")
            }
        }
        for cut in [4, 12, 30, webp.count - 10] {
            XCTAssertThrowsError(try ImageDecoder.decode(Data(webp.prefix(cut)), name: "cut.webp")) { e in
                XCTAssertTrue("\(e)".contains("cut.webp"), "\(e)")
            }
        }
        var huge = bmp
        huge.replaceSubrange(18..<26, with: [0x40, 0x9C, 0, 0, 0x40, 0x9C, 0, 0])   // 40000 × 40000
        XCTAssertThrowsError(try ImageDecoder.decode(Data(huge), name: "huge.bmp")) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .tooLarge(width: 40000, height: 40000, limit: DecodeOptions().maxPixels))
        }
        var rle = [UInt8](try Fixture.bytes("formats/bmp_palette8.bmp"))
        rle[30] = 1   // BI_RLE8
        XCTAssertThrowsError(try ImageDecoder.decode(Data(rle), name: "rle.bmp")) { e in
            XCTAssertTrue("\(e)".contains("RLE-compressed"), "\(e)")
        }
        var zero = bmp
        zero.replaceSubrange(18..<22, with: [0, 0, 0, 0])
        XCTAssertThrowsError(try ImageDecoder.decode(Data(zero), name: "zero.bmp")) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .zeroSize)
        }
    }

    func testFormatIsSniffedNotTakenFromExtension() throws {
        let png = try Fixture.bytes("corpus/png_rgb8.png")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-sniff-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let lying = dir.appendingPathComponent("really-a-png.jpg")
        try png.write(to: lying)
        XCTAssertEqual(ImageFormat.sniff(png), .png)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: lying), try ImageDecoder.decode(png))
        XCTAssertEqual(ImageFormat.sniff(try Fixture.bytes("corpus/jpeg_gray.jpg")), .jpeg)
        XCTAssertNil(ImageFormat.sniff(Data("hello".utf8)))
    }

    func testEveryEXIFOrientationMatchesItsTransform() throws {
        let upright = try ImageDecoder.decode(Fixture.bytes("corpus/jpeg_orient_1.jpg"))
        var raw = DecodeOptions()
        raw.applyEXIFOrientation = false
        for o in 1...8 {
            let data = try Fixture.bytes("corpus/jpeg_orient_\(o).jpg")
            XCTAssertEqual(ExifOrientation.read(data), o, "orientation tag of file \(o)")
            let stored = try ImageDecoder.decode(data, options: raw)
            XCTAssertEqual(stored, upright, "same stored pixels in every file")
            let oriented = try ImageDecoder.decode(data)
            XCTAssertEqual(oriented, upright.applyingEXIFOrientation(o), "orientation \(o)")
            XCTAssertEqual(oriented.width, o >= 5 ? 23 : 37)
        }
        XCTAssertEqual(ExifOrientation.read(try Fixture.bytes("corpus/png_orient_6.png")), 6)
        XCTAssertEqual(ExifOrientation.read(try Fixture.bytes("corpus/png_rgb8.png")), 1)
    }

    func testOrientationTransformsAgreeWithRotations() {
        var rng = SplitMix64(seed: 3)
        let img = randomImage(5, 3, &rng)
        XCTAssertEqual(img.rotated(quarterTurns: 4), img)
        XCTAssertEqual(img.rotated(quarterTurns: 1).rotated(quarterTurns: -1), img)
        XCTAssertEqual(img.rotated(quarterTurns: 2), img.flippedHorizontally().flippedVertically())
        XCTAssertEqual(img.rotated(quarterTurns: 1), img.transposed().flippedVertically())
        XCTAssertEqual(img.transversed(), img.transposed().rotated(quarterTurns: 2))
        // Counter-clockwise: the top-right pixel becomes the top-left one.
        XCTAssertTrue(img.rotated(quarterTurns: 1)[0, 0] == img[4, 0])
        XCTAssertTrue(img.rotated(quarterTurns: -1)[0, 0] == img[0, 2])
    }

    /// The real photos in ../shared/data/images against Pillow-decoded checksums and sample pixels.
    func testRealPhotosMatchPillow() throws {
        _ = try TestData.shared("images")
        let photos = try Fixture.json([Fixture.RealPhoto].self, "real_photos.json")
        var exact = 0
        var timings: [String] = []
        for p in photos {
            let url = try TestData.shared(p.file)
            let t0 = threadCPUSeconds()
            let image = try ImageDecoder.decode(contentsOf: url)
            timings.append(String(format: "%@ %dx%d %.1f ms", (p.file as NSString).lastPathComponent, image.width,
                                  image.height, (threadCPUSeconds() - t0) * 1000))
            XCTAssertEqual(image.width, p.width, p.file)
            XCTAssertEqual(image.height, p.height, p.file)
            if sha256Hex(image.pixels) == p.sha256 { exact += 1; continue }
            // Not bit-identical: every sample within the JPEG tolerance and the means within 0.05 levels.
            XCTAssertFalse(p.file.hasSuffix(".png"), "\(p.file): PNG must be bit-identical")
            for s in p.samples {
                let px = image[s[0], s[1]]
                let d = max(abs(Int(px.0) - s[2]), abs(Int(px.1) - s[3]), abs(Int(px.2) - s[4]))
                XCTAssertLessThanOrEqual(d, Self.jpegTolerance, "\(p.file) at (\(s[0]), \(s[1]))")
            }
            for c in 0..<3 {
                var sum = 0.0
                for i in stride(from: c, to: image.pixels.count, by: 3) { sum += Double(image.pixels[i]) }
                XCTAssertEqual(sum / Double(image.width * image.height), p.mean[c], accuracy: 0.05, p.file)
            }
        }
        print("real photos bit-identical to Pillow: \(exact)/\(photos.count); decode CPU times: " + timings.joined(separator: ", "))
    }
}
