import Foundation
import XCTest
import ZooTestSupport
@testable import ZooImage

/// The hand-written TIFF/IFD parser: both byte orders, SHORT and LONG values, and malformed structures that
/// must yield "no orientation" (nil), never a crash.
final class ExifOrientationTests: XCTestCase {
    func tiff(_ bigEndian: Bool, orientation: Int, type: Int = 3, ifdOffset: Int = 8, count: Int = 1) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        let value = type == 3 ? u16(orientation) + [0, 0] : u32(orientation)
        return (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(42) + u32(ifdOffset)
            + u16(count) + u16(0x0112) + u16(type) + u32(1) + value + u32(0)
    }

    func parse(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBytes { ExifOrientation.fromTIFF($0) } }

    func testBothByteOrdersAndValueTypes() {
        for o in 1...8 {
            XCTAssertEqual(parse(tiff(true, orientation: o)), o)
            XCTAssertEqual(parse(tiff(false, orientation: o)), o)
            XCTAssertEqual(parse(tiff(false, orientation: o, type: 4)), o)
        }
    }

    func testMalformedStructuresGiveNil() {
        XCTAssertNil(parse([]))
        XCTAssertNil(parse(Array(tiff(true, orientation: 6).prefix(7))))
        XCTAssertNil(parse(tiff(true, orientation: 0)))                       // out of range
        XCTAssertNil(parse(tiff(true, orientation: 9)))
        XCTAssertNil(parse(tiff(false, orientation: 6, type: 7)))             // UNDEFINED type
        XCTAssertNil(parse(tiff(false, orientation: 6, ifdOffset: 4)))        // IFD inside the header
        XCTAssertNil(parse(tiff(false, orientation: 6, ifdOffset: 1 << 30)))  // IFD beyond the data
        // An entry count larger than the data: entries are read while they fit (the tag is the first one).
        XCTAssertEqual(parse(tiff(false, orientation: 6, count: 60000)), 6)
        var bad = tiff(true, orientation: 6); bad[3] = 0                      // magic 0, not 42
        XCTAssertNil(parse(bad))
        // Every prefix and every single-byte corruption of a valid structure is handled.
        let good = tiff(false, orientation: 3)
        for n in 0..<good.count { _ = parse(Array(good.prefix(n))) }
        for i in 0..<good.count { for v: UInt8 in [0, 0x7F, 0xFF] { var b = good; b[i] = v; _ = parse(b) } }
    }

    func testJPEGSegmentWalkStopsAtScanAndSurvivesBadLengths() throws {
        let jpeg = [UInt8](try Fixture.bytes("corpus/jpeg_orient_6.jpg"))
        XCTAssertEqual(ExifOrientation.read(Data(jpeg)), 6)
        for n in stride(from: 0, to: min(jpeg.count, 400), by: 3) { _ = ExifOrientation.read(Data(jpeg.prefix(n))) }
        var broken = jpeg
        broken[4] = 0xFF; broken[5] = 0xFF   // first segment length far past the end
        XCTAssertEqual(ExifOrientation.read(Data(broken)), 1)
    }

    func testHeaderOnlySize() throws {
        let s = try ImageDecoder.size(of: Fixture.bytes("corpus/jpeg_orient_6.jpg"))
        XCTAssertEqual(s.width, 37); XCTAssertEqual(s.height, 23); XCTAssertEqual(s.format, .jpeg)
        XCTAssertThrowsError(try ImageDecoder.size(of: Data([1, 2, 3])))
    }
}
