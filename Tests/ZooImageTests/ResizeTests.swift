import Foundation
import XCTest
import ZooTestSupport
@testable import ZooImage

/// Bilinear resize against OpenCV 4.14 `cv2.resize(INTER_LINEAR)` fixtures, and the fast path against the naive one.
final class ResizeTests: XCTestCase {
    /// ±1 level (the bound): we reproduce OpenCV's fixed-point scheme (11-bit weights, SIMD vertical
    /// rounding), but OpenCV rounds the last < one-vector of each row with its scalar formula and other builds may
    /// dispatch to IPP; measured here: bit-identical on all 12 cases (the test prints the count).
    func testMatchesOpenCV() throws {
        let entries = try Fixture.json([Fixture.ResizeEntry].self, "resize/manifest.json")
        var total = 0, differing = 0
        for e in entries {
            let src = try ImageDecoder.decode(contentsOf: Fixture.root.appendingPathComponent("resize/" + e.source))
            let out = src.resized(width: e.width, height: e.height)
            let expected = [UInt8](try Fixture.bytes("resize/" + e.expected))
            XCTAssertEqual(out.pixels.count, expected.count, e.expected)
            guard out.pixels.count == expected.count else { continue }
            let d = byteDiff(out.pixels, expected)
            XCTAssertLessThanOrEqual(d.max, 1, "\(e.expected): \(d.count) bytes differ")
            total += expected.count; differing += d.count
        }
        print("resize vs cv2: \(differing) of \(total) bytes differ by 1, none by more")
    }

    func testFastPathEqualsNaiveOnRandomShapes() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<40 {
            let sw = Int.random(in: 1...50, using: &rng), sh = Int.random(in: 1...50, using: &rng)
            let dw = Int.random(in: 1...80, using: &rng), dh = Int.random(in: 1...80, using: &rng)
            let img = randomImage(sw, sh, &rng)
            XCTAssertEqual(img.resized(width: dw, height: dh), LinearResizer.naive(img, width: dw, height: dh),
                           "\(sw)x\(sh) -> \(dw)x\(dh)")
        }
        // Large enough to run in parallel chunks.
        let big = randomImage(640, 480, &rng)
        XCTAssertEqual(big.resized(width: 416, height: 312), LinearResizer.naive(big, width: 416, height: 312))
    }

    func testIdentityConstantAndEmpty() {
        var rng = SplitMix64(seed: 5)
        let img = randomImage(9, 4, &rng)
        XCTAssertEqual(img.resized(width: 9, height: 4), img)
        let flat = Image(width: 13, height: 7, fill: (200, 17, 99))
        XCTAssertEqual(flat.resized(width: 31, height: 5), Image(width: 31, height: 5, fill: (200, 17, 99)))
        XCTAssertEqual(img.resized(width: 0, height: 3).pixels.count, 0)
    }

    /// Timing for the report (not an assertion): 1920x1080 -> 416x234, as a detector's preprocessing does.
    func testResizeSpeed() {
        var rng = SplitMix64(seed: 1)
        let img = randomImage(1920, 1080, &rng)
        _ = img.resized(width: 416, height: 234)
        let t0 = Date()
        for _ in 0..<10 { _ = img.resized(width: 416, height: 234) }
        let down = Date().timeIntervalSince(t0) / 10
        let t1 = Date()
        for _ in 0..<5 { _ = img.resized(width: 2560, height: 1440) }
        let up = Date().timeIntervalSince(t1) / 5
        var buf = [Float](repeating: 0, count: 3 * 416 * 416)
        let (lb, _) = img.letterboxed(width: 416, height: 416)
        let t2 = Date()
        for _ in 0..<20 { buf.withUnsafeMutableBufferPointer { lb.writePlanar(into: $0.baseAddress!, order: .bgr, scale: 1 / 255) } }
        let planar = Date().timeIntervalSince(t2) / 20
        let t3 = Date()
        _ = img.applyingEXIFOrientation(6)
        let rotate = Date().timeIntervalSince(t3)
        print(String(format: "resize 1920x1080->416x234: %.2f ms; ->2560x1440: %.2f ms; writePlanar 416x416: %.3f ms; "
                     + "EXIF rotate 1920x1080: %.2f ms (threads %d)",
                     down * 1000, up * 1000, planar * 1000, rotate * 1000, ImageParallel.maxThreads))
    }
}
