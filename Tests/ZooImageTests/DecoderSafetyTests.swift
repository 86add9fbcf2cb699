import Foundation
import XCTest
import ZooTestSupport
@testable import ZooImage
#if canImport(Glibc)
import Glibc
#endif

/// Bad input never crashes, exits or hangs: each case gives a specific `ImageError` naming the file.
final class DecoderSafetyTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-safety-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Asserts that decoding `data` throws exactly `kind`, and that the message names `name`.
    func assertFails(_ data: Data, _ kind: ImageError.Kind, name: String = "case.bin",
                     options: DecodeOptions = .init(), file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ImageDecoder.decode(data, name: name, options: options), file: file, line: line) { e in
            guard let err = e as? ImageError else { return XCTFail("not an ImageError: \(e)", file: file, line: line) }
            XCTAssertEqual(err.kind, kind, "\(err)", file: file, line: line)
            XCTAssertEqual(err.file, name, file: file, line: line)
            XCTAssertTrue(err.description.contains(name), err.description, file: file, line: line)
        }
    }

    func kind(of data: Data) -> ImageError.Kind? {
        do { _ = try ImageDecoder.decode(data); return nil } catch { return (error as? ImageError)?.kind }
    }

    func testEmptyDataAndEmptyFile() throws {
        assertFails(Data(), .empty)
        let url = dir.appendingPathComponent("empty.jpg")
        try Data().write(to: url)
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: url)) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .empty)
            XCTAssertEqual((e as? ImageError)?.file, url.path)
            XCTAssertTrue("\(e)".contains("empty.jpg"), "\(e)")
        }
    }

    func testTruncatedJPEGAtEveryStage() throws {
        for name in ["jpeg_baseline_420.jpg", "jpeg_progressive.jpg", "jpeg_cmyk.jpg"] {
            let full = try Fixture.bytes("corpus/" + name)
            // Inside the signature, in the headers, early and late in the entropy-coded data, just before EOI.
            for cut in [1, 2, 20, full.count / 3, full.count / 2, full.count - 40] {
                assertFails(full.prefix(cut), .truncated, name: "\(name)[..<\(cut)]")
            }
            // Only the EOI marker missing: libjpeg's entropy decoder reads past the end, so this is truncated too
            // (Pillow 13 also refuses it: "image file is truncated").
            assertFails(full.prefix(full.count - 2), .truncated, name: name)
        }
    }

    func testTruncatedPNG() throws {
        for name in ["png_rgb8.png", "png_rgba8_interlaced.png", "png_palette4_trns.png"] {
            let full = try Fixture.bytes("corpus/" + name)
            for cut in [4, 8, 20, 40, full.count / 2, full.count - 20] {
                assertFails(full.prefix(cut), .truncated, name: "\(name)[..<\(cut)]")
            }
        }
    }

    func testCorruptData() throws {
        // JPEG: a quantisation table with an impossible index (5; JPEG allows 0...3).
        assertFails(Data([0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x05] + [UInt8](repeating: 0x10, count: 64)),
                    .corrupt("JPEG: Bogus DQT index 5"))
        // JPEG: the SOF segment overwritten with garbage.
        var jpeg = [UInt8](try Fixture.bytes("corpus/jpeg_baseline_420.jpg"))
        let sof = try XCTUnwrap((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        for i in (sof + 4)..<(sof + 12) { jpeg[i] = 0xEE }
        if case .corrupt? = kind(of: Data(jpeg)) {} else { XCTFail("garbage SOF: \(String(describing: kind(of: Data(jpeg))))") }
        // PNG: a broken IHDR checksum, then a broken zlib stream (with valid CRCs).
        var png = [UInt8](try Fixture.bytes("corpus/png_rgb8.png"))
        png[29] ^= 0xFF
        if case .corrupt(let d)? = kind(of: Data(png)) { XCTAssertTrue(d.contains("CRC"), d) } else { XCTFail("bad CRC") }
        let rows = [UInt8](repeating: 0x42, count: 200)
        let bad = pngFile(width: 8, height: 8, bitDepth: 8, colorType: 2, idat: [0x78, 0x9C] + rows)
        if case .corrupt? = kind(of: Data(bad)) {} else { XCTFail("bad zlib: \(String(describing: kind(of: Data(bad))))") }
    }

    func testZeroSizedImages() throws {
        assertFails(Data(pngFile(width: 0, height: 10, bitDepth: 8, colorType: 2, idat: [])), .zeroSize)
        assertFails(Data(pngFile(width: 10, height: 0, bitDepth: 8, colorType: 2, idat: [])), .zeroSize)
        var jpeg = [UInt8](try Fixture.bytes("corpus/jpeg_baseline_420.jpg"))
        let sof = try XCTUnwrap((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg[sof + 5] = 0; jpeg[sof + 6] = 0   // height = 0
        assertFails(Data(jpeg), .zeroSize)
    }

    func testNonImageFiles() throws {
        assertFails(Data("name,score\nalice,3\n".utf8), .unsupportedFormat, name: "scores.csv")
        assertFails(Data([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0]), .unsupportedFormat)   // GIF
        let url = dir.appendingPathComponent("notes.png")
        try Data("this is text, whatever the extension says".utf8).write(to: url)
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: url)) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .unsupportedFormat)
            XCTAssertTrue("\(e)".contains(url.path) && "\(e)".contains("not a JPEG, PNG, WebP or BMP"), "\(e)")
        }
    }

    func testDirectoryMissingPathAndSpecialFiles() throws {
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: dir)) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .isDirectory)
            XCTAssertTrue("\(e)".contains("directory"), "\(e)")
        }
        let missing = dir.appendingPathComponent("no-such.jpg")
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: missing)) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .unreadable("no such file or directory"))
            XCTAssertTrue("\(e)".contains("no-such.jpg"), "\(e)")
        }
        // A FIFO must be refused without blocking on open/read.
        let fifo = dir.appendingPathComponent("pipe.jpg")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: fifo)) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .notAFile)
        }
        // Issue 14 item 10: /dev/zero is "not a regular file" (it used to say "permission"), a symlink loop is
        // a loop (it used to say "no such file").
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: "/dev/zero"))) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .notAFile)
            XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)")
        }
        let loopA = dir.appendingPathComponent("loop-a.jpg"), loopB = dir.appendingPathComponent("loop-b.jpg")
        try FileManager.default.createSymbolicLink(atPath: loopA.path, withDestinationPath: loopB.path)
        try FileManager.default.createSymbolicLink(atPath: loopB.path, withDestinationPath: loopA.path)
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: loopA)) { e in
            XCTAssertTrue("\(e)".contains("symlink loop") && "\(e)".contains("loop-a.jpg"), "\(e)")
        }
        // Permission denied (not testable as root, who bypasses file modes).
        if geteuid() != 0 {
            let locked = dir.appendingPathComponent("locked.jpg")
            try Fixture.bytes("corpus/jpeg_gray.jpg").write(to: locked)
            XCTAssertEqual(chmod(locked.path, 0), 0)
            XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: locked)) { e in
                XCTAssertEqual((e as? ImageError)?.kind, .unreadable("Permission denied"))
            }
        }
    }

    /// Headers that claim 100000×100000 (PNG) and 65500×65500 (JPEG's maximum is 65535 per side) are refused
    /// from the header alone: fast, and without the gigabytes of pixel memory they would need.
    func testCraftedHugeHeadersFailFastWithoutAllocating() throws {
        let png = pngFile(width: 100_000, height: 100_000, bitDepth: 8, colorType: 6, idat: [0x78, 0x9C, 0x03, 0x00])
        var jpeg = [UInt8](try Fixture.bytes("corpus/jpeg_progressive.jpg"))
        let sof = try XCTUnwrap((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && (jpeg[$0 + 1] == 0xC2) })
        jpeg[sof + 5] = 0xFF; jpeg[sof + 6] = 0xDC; jpeg[sof + 7] = 0xFF; jpeg[sof + 8] = 0xDC   // 65500 x 65500
        let before = maxRSSBytes()
        let start = Date()
        assertFails(Data(png), .tooLarge(width: 100_000, height: 100_000, limit: 100_000_000))
        assertFails(Data(jpeg), .tooLarge(width: 65_500, height: 65_500, limit: 100_000_000))
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
        XCTAssertLessThan(maxRSSBytes() - before, 64 << 20, "peak memory grew while refusing huge headers")
        let err = ImageError(file: "x.png", .tooLarge(width: 100_000, height: 100_000, limit: 100_000_000))
        XCTAssertTrue(err.description.contains("100000x100000"), err.description)
    }

    /// A progressive JPEG whose last scan is repeated 400 times (libjpeg only warns about the bogus progression
    /// and would redo the work each time) is refused by the scan limit instead of burning CPU.
    func testThousandsOfScansAreRefused() throws {
        let jpeg = [UInt8](try Fixture.bytes("corpus/jpeg_progressive.jpg"))
        let lastSOS = try XCTUnwrap((0..<(jpeg.count - 1)).last { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA })
        XCTAssertEqual(Array(jpeg.suffix(2)), [0xFF, 0xD9])
        let scan = Array(jpeg[lastSOS..<(jpeg.count - 2)])
        var crafted = Array(jpeg.prefix(jpeg.count - 2))
        for _ in 0..<400 { crafted += scan }
        crafted += [0xFF, 0xD9]
        let start = Date()
        XCTAssertThrowsError(try ImageDecoder.decode(Data(crafted))) { e in
            guard case .corrupt(let why)? = (e as? ImageError)?.kind else { return XCTFail("\(e)") }
            XCTAssertTrue(why.contains("scans"), why)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        // A few repeats stay under the limit and decode (libjpeg tolerates the odd progression).
        var few = Array(jpeg.prefix(jpeg.count - 2))
        for _ in 0..<3 { few += scan }
        XCTAssertNoThrow(try ImageDecoder.decode(Data(few + [0xFF, 0xD9])))
    }

    func testPixelLimitIsConfigurable() throws {
        let data = try Fixture.bytes("corpus/png_rgb8.png")   // 37 x 23 = 851 pixels
        assertFails(data, .tooLarge(width: 37, height: 23, limit: 850), options: DecodeOptions(maxPixels: 850))
        XCTAssertEqual(try ImageDecoder.decode(data, options: DecodeOptions(maxPixels: 851)).width, 37)
    }

    /// Random byte flips, insertions, deletions and truncations of real files: every outcome is an image or an
    /// `ImageError`, never a crash or hang. `VZ_FUZZ_ITERATIONS` (per file, default 400) and `VZ_FUZZ_SEED` run
    /// longer or different campaigns.
    func testFuzzedFilesNeverCrash() throws {
        let env = ProcessInfo.processInfo.environment
        let iterations = env["VZ_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 400
        var rng = SplitMix64(seed: env["VZ_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED)
        let options = DecodeOptions(maxPixels: 4_000_000)   // a flipped SOF/IHDR may claim a larger size
        var decoded = 0, failed = 0
        var kinds: [String: Int] = [:]
        for name in ["jpeg_baseline_420.jpg", "jpeg_progressive.jpg", "jpeg_ycck.jpg", "jpeg_orient_6.jpg",
                     "png_rgba8_interlaced.png", "png_palette4_trns.png", "png_gray16.png", "png_orient_6.png"] {
            let original = [UInt8](try Fixture.bytes("corpus/" + name))
            for _ in 0..<iterations {
                var b = original
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0: b = Array(b.prefix(Int.random(in: 0...b.count, using: &rng)))
                    case 1 where b.count > 1: b.remove(at: Int.random(in: 0..<b.count, using: &rng))
                    case 2: b.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...b.count, using: &rng))
                    default:
                        // Flip bytes, mostly in the headers where the parsers do the most work.
                        if !b.isEmpty {
                            let limit = Bool.random(using: &rng) ? min(b.count, 200) : b.count
                            b[Int.random(in: 0..<limit, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                        }
                    }
                }
                do {
                    let img = try ImageDecoder.decode(Data(b), name: name, options: options)
                    XCTAssertEqual(img.pixels.count, img.width * img.height * 3)
                    decoded += 1
                } catch let e as ImageError {
                    failed += 1
                    kinds[String("\(e.kind)".prefix(while: { $0 != "(" })), default: 0] += 1
                }
            }
        }
        print("fuzz: \(decoded) decoded, \(failed) refused: \(kinds.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(failed, 100)
    }

    // MARK: helpers

    /// A PNG file with the given IHDR (correct CRCs) and one IDAT chunk.
    func pngFile(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, idat: [UInt8]) -> [UInt8] {
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(data.count) + body + be32(Int(crc32(body)))
        }
        let ihdr = be32(width) + be32(height) + [bitDepth, colorType, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    func maxRSSBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }
}
