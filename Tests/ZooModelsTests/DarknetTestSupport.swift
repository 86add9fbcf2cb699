import Foundation
import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// Helpers for the darknet tests: random weights, cfg building, real-weight lookup.
enum DarknetTestSupport {
    /// A deterministic pseudo-random float in [lo, hi) for index `i` (SplitMix64 hash).
    static func random(_ i: Int, seed: UInt64 = 1, lo: Float = -0.5, hi: Float = 0.5) -> Float {
        var z = UInt64(bitPattern: Int64(i)) &+ seed &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return lo + (hi - lo) * Float(z >> 40) / Float(1 << 24)
    }

    /// Synthetic weights: all values positive (batch-norm variances must be) and small, in [0.005, 0.05), so that
    /// activations neither vanish nor explode through ~25 layers (gain per 3×3 conv + BN ≈ 1).
    static func syntheticWeights(seed: UInt64 = 1) -> DarknetWeights {
        DarknetWeights(synthetic: { random($0, seed: seed, lo: 0.005, hi: 0.05) })
    }

    /// Builds a network from cfg text with synthetic weights.
    static func network(_ cfg: String, seed: UInt64 = 1) throws -> DarknetNetwork {
        var w = syntheticWeights(seed: seed)
        return try DarknetNetwork(config: try DarknetConfig(text: cfg, source: "test.cfg"), weights: &w)
    }

    /// A real `.weights` file image: header (version 0.2.0, seen as int64) + `floats`.
    static func weightsFile(_ floats: [Float], major: Int32 = 0, minor: Int32 = 2) -> Data {
        var d = Data()
        for v in [major, minor, 0] { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        if major * 10 + minor >= 2 { withUnsafeBytes(of: Int64(32013).littleEndian) { d.append(contentsOf: $0) } }
        else { withUnsafeBytes(of: Int32(32013).littleEndian) { d.append(contentsOf: $0) } }
        floats.withUnsafeBytes { d.append(contentsOf: $0) }
        return d
    }

    /// A random input `1, C, H, W` in [0, 1).
    static func input(_ c: Int, _ h: Int, _ w: Int, seed: UInt64 = 7) -> Tensor {
        Tensor(shape: [1, c, h, w], data: (0..<(c * h * w)).map { random($0, seed: seed, lo: 0, hi: 1) })
    }

    /// Folder holding `files` of a real model: `VZ_WEIGHTS_PATH` entries, the checkout's `weights/`, then
    /// `../shared/data/weights`; skips the test when absent.
    static func realModel(folder: String, files: [String]) throws -> URL {
        var roots: [URL] = []
        if let p = ProcessInfo.processInfo.environment["VZ_WEIGHTS_PATH"] {
            roots += p.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        }
        roots.append(TestData.packageRoot.appendingPathComponent("weights"))
        roots.append(TestData.sharedRoot.appendingPathComponent("weights"))
        for r in roots {
            let f = r.appendingPathComponent(folder)
            if files.allSatisfy({ FileManager.default.fileExists(atPath: f.appendingPathComponent($0).path) }) { return f }
        }
        throw XCTSkip("weights \(folder)/\(files.joined(separator: ",")) not found (run `vz weights pull` or set VZ_WEIGHTS_PATH): skipped")
    }

    /// The input the parity fixtures were made with (scripts/make_darknet_fixtures.py `synthetic_input`),
    /// bit-exact: k = (37x + 91y + 53c + (x·y mod 97) + 29·((x >> 3) xor (y >> 3))) mod 256, value = Float(k) / 255.
    static func syntheticInput(channels: Int, height: Int, width: Int) -> Tensor {
        let t = Tensor(zeros: [1, channels, height, width])
        let p = t.pointer
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    let k = (37 * x + 91 * y + 53 * c + (x * y) % 97 + 29 * ((x >> 3) ^ (y >> 3))) % 256
                    p[(c * height + y) * width + x] = Float(k) / 255
                }
            }
        }
        return t
    }
}
