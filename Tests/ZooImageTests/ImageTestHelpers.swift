import Foundation
import XCTest
import ZooTestSupport
@testable import ZooImage
import ZooPipelines

/// Shared helpers for the ZooImage tests.
enum Fixture {
    static let root = TestData.fixture("image")

    struct CorpusEntry: Decodable {
        let file: String, expected: String, width: Int, height: Int, background: [Int]
    }

    struct ResizeEntry: Decodable {
        let source: String, width: Int, height: Int, expected: String
    }

    struct RealPhoto: Decodable {
        let file: String, width: Int, height: Int, sha256: String, mean: [Double], samples: [[Int]]
    }

    static func json<T: Decodable>(_ type: T.Type, _ relative: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func bytes(_ relative: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(relative)) }
}

/// Largest absolute per-byte difference and the number of differing bytes.
func byteDiff(_ a: [UInt8], _ b: [UInt8]) -> (max: Int, count: Int) {
    precondition(a.count == b.count)
    var m = 0, n = 0
    for i in 0..<a.count {
        let d = abs(Int(a[i]) - Int(b[i]))
        if d > 0 { n += 1; m = max(m, d) }
    }
    return (m, n)
}

/// Deterministic SplitMix64 generator for randomised tests (reproducible failures).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// CRC-32 (PNG chunk checksum, polynomial 0xEDB88320), for crafting PNG headers in tests.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}

/// A random RGB image.
func randomImage(_ w: Int, _ h: Int, _ rng: inout SplitMix64) -> Image {
    Image(width: w, height: h, pixels: (0..<(w * h * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
}

/// SHA-256 as lowercase hex, for comparing decoded pixels with Pillow checksums without storing them.
func sha256Hex(_ message: [UInt8]) -> String {
    var h = WeightsSHA256()
    message.withUnsafeBytes { h.update($0) }
    return h.finalizeHex()
}

/// CPU time of the calling thread, in seconds (timings that do not depend on how busy the machine is).
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
