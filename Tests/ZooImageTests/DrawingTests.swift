import Foundation
import XCTest
import ZooTestSupport
@testable import ZooImage

final class DrawingTests: XCTestCase {
    func testFontCoversPrintableASCIIWithDistinctGlyphs() {
        XCTAssertEqual(BitmapFont.source.count, 95)
        XCTAssertEqual(Set(BitmapFont.source.map { $0.0 }).count, 95)
        var seen = Set<[UInt8]>()
        for code in 33...126 {
            let g = Array(BitmapFont.rows[(code - 32) * 7..<(code - 31) * 7])
            XCTAssertTrue(g.contains { $0 != 0 }, "glyph \(UnicodeScalar(code)!) is empty")
            XCTAssertTrue(seen.insert(g).inserted, "glyph \(UnicodeScalar(code)!) duplicates another")
        }
        XCTAssertTrue(BitmapFont.ink("T", x: 0, y: 0) && BitmapFont.ink("T", x: 2, y: 6) && !BitmapFont.ink("T", x: 0, y: 6))
        XCTAssertEqual(BitmapFont.glyphIndex("é"), BitmapFont.glyphIndex("?"))
    }

    func testLabelPixelsFollowTheGlyphs() {
        var img = Image(width: 40, height: 20, fill: (0, 0, 0))
        let box = img.drawLabel("Hi", x: 3, y: 2, color: (255, 255, 255), background: (0, 0, 255), scale: 2)
        XCTAssertEqual(box.x, 3); XCTAssertEqual(box.y, 2)
        XCTAssertEqual(box.width, (2 * 6 - 1) * 2 + 4); XCTAssertEqual(box.height, 7 * 2 + 4)
        for (i, ch) in "Hi".enumerated() {
            for gy in 0..<7 {
                for gx in 0..<5 {
                    for (dx, dy) in [(0, 0), (1, 1)] {
                        let p = img[3 + 2 + (i * 6 + gx) * 2 + dx, 2 + 2 + gy * 2 + dy]
                        XCTAssertTrue(p == (BitmapFont.ink(ch, x: gx, y: gy) ? (255, 255, 255) : (0, 0, 255)), "\(ch) \(gx),\(gy)")
                    }
                }
            }
        }
        XCTAssertTrue(img[0, 0] == (0, 0, 0))
        // Labels that would cross an edge are moved inside.
        var small = Image(width: 30, height: 12)
        let moved = small.drawLabel("person", x: 25, y: -8, color: (255, 0, 0), background: (1, 2, 3), scale: 1)
        XCTAssertEqual(moved.x, 0); XCTAssertEqual(moved.y, 0)
        XCTAssertTrue(small[0, 0] == (1, 2, 3))
    }

    func testBoxesPointsAndLinesAreClippedAndExact() {
        var img = Image(width: 20, height: 10)
        img.drawBox(x1: 2, y1: 1, x2: 12, y2: 8, color: (9, 9, 9), thickness: 2)
        XCTAssertTrue(img[2, 1] == (9, 9, 9) && img[11, 7] == (9, 9, 9) && img[3, 2] == (9, 9, 9))
        XCTAssertTrue(img[4, 3] == (0, 0, 0) && img[12, 8] == (0, 0, 0) && img[1, 1] == (0, 0, 0))
        var painted = 0
        for y in 0..<10 { for x in 0..<20 where img[x, y] == (9, 9, 9) { painted += 1 } }
        XCTAssertEqual(painted, 10 * 7 - 6 * 3)
        // Far outside, infinite and NaN coordinates draw nothing (and never trap).
        var blank = Image(width: 8, height: 8)
        blank.drawBox(x1: -1e30, y1: .nan, x2: 1e30, y2: 4, color: (1, 1, 1))
        blank.drawLine(x1: -1e9, y1: -1e9, x2: -1e9 + 1, y2: 1e9, color: (1, 1, 1), thickness: 3)
        blank.drawPoint(x: .infinity, y: 2, color: (1, 1, 1))
        XCTAssertEqual(blank, Image(width: 8, height: 8))
        blank.drawBox(x1: -1e30, y1: -5, x2: 1e30, y2: 50, color: (1, 1, 1), thickness: 1)  // huge box: edges outside
        XCTAssertEqual(blank, Image(width: 8, height: 8))
        var dots = Image(width: 9, height: 9)
        dots.drawPoint(x: 4.5, y: 4.5, color: (5, 5, 5), radius: 1)
        var n = 0
        for y in 0..<9 { for x in 0..<9 where dots[x, y] == (5, 5, 5) { n += 1 } }
        XCTAssertEqual(n, 9)   // radius 1 → 3×3 (dx² + dy² ≤ r² + r)
        var line = Image(width: 10, height: 10)
        line.drawLine(x1: 0, y1: 0, x2: 9, y2: 9, color: (7, 7, 7))
        for i in 0..<10 { XCTAssertTrue(line[i, i] == (7, 7, 7)) }
        XCTAssertTrue(line[1, 0] == (0, 0, 0))
    }

    func testPaletteIsStableAndDistinct() {
        let colors = (0..<80).map { ColorPalette.color(forClass: $0) }
        XCTAssertTrue(ColorPalette.color(forClass: 3) == colors[3])
        XCTAssertEqual(Set(colors.map { [$0.0, $0.1, $0.2] }).count, 80)
        for i in 0..<79 {
            let a = colors[i], b = colors[i + 1]
            let d = abs(Int(a.0) - Int(b.0)) + abs(Int(a.1) - Int(b.1)) + abs(Int(a.2) - Int(b.2))
            XCTAssertGreaterThan(d, 60, "classes \(i) and \(i + 1) look alike")
        }
        XCTAssertTrue(ColorPalette.textColor(on: (250, 250, 0)) == (0, 0, 0))
    }
}
