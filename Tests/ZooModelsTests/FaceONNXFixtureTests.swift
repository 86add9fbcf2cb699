import Foundation
import XCTest
import ZooImage
import ZooModels
import ZooNN
import ZooTestSupport

/// The deterministic input of `scripts/make_face_fixtures.py`: an LCG byte image in `N, C, H, W` order,
/// `state = (state · 1103515245 + 12345) mod 2³¹`, `byte = (state >> 16) & 255`, then `(byte − mean) / std`.
enum FaceFixtureInput {
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = (state &* 1_103_515_245 &+ 12345) % 2_147_483_648
            return UInt8((state >> 16) & 255)
        }
    }

    static func tensor(_ shape: [Int], seed: UInt64, mean: Float, std: Float) -> Tensor {
        let b = bytes(count: shape.reduce(1, *), seed: seed)
        return Tensor(shape: shape, data: b.map { (Float($0) - mean) / std })
    }
}

/// One recorded onnxruntime output: shape, sums and every `step`-th element.
struct FaceFixtureOutput: Decodable {
    var name: String
    var shape: [Int]
    var sum: Double
    var abs_sum: Double
    var step: Int
    var values: [Float]
}

struct FaceFixtureFile: Decodable {
    struct Input: Decodable { var height: Int; var width: Int; var seed: UInt64; var mean: Float; var std: Float }
    var input: Input
    var outputs: [FaceFixtureOutput]

    static func load(_ name: String) throws -> FaceFixtureFile { try load(path: "faces/\(name).json") }

    /// A fixture in the same format elsewhere under Tests/Fixtures (e.g. `detect/yolox_nano_raw.json`).
    static func load(path: String) throws -> FaceFixtureFile {
        try JSONDecoder().decode(FaceFixtureFile.self, from: Data(contentsOf: TestData.fixture(path)))
    }

    var inputTensor: Tensor {
        FaceFixtureInput.tensor([1, 3, input.height, input.width], seed: input.seed, mean: input.mean, std: input.std)
    }

    /// Compares every recorded output with ours; returns the max abs error over the sampled elements.
    @discardableResult
    func compare(_ ours: [String: Tensor], tolerance: Float, file: StaticString = #filePath, line: UInt = #line) -> Float {
        var worst: Float = 0
        XCTAssertEqual(Set(ours.keys), Set(outputs.map(\.name)), file: file, line: line)
        for o in outputs {
            guard let t = ours[o.name] else { continue }
            XCTAssertEqual(t.shape, o.shape, o.name, file: file, line: line)
            guard t.shape == o.shape else { continue }
            let all = t.toArray()
            let sampled = stride(from: 0, to: all.count, by: o.step).map { all[$0] }
            assertAllClose(sampled, o.values, tolerance: tolerance, o.name, file: file, line: line)
            for (a, b) in zip(sampled, o.values) { worst = max(worst, abs(a - b)) }
            // The sums cover every element, not only the sampled ones.
            let sum = all.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sum, o.sum, accuracy: Double(tolerance) * Double(all.count) * 0.05 + 1e-3, "\(o.name) sum", file: file, line: line)
            let absSum = all.reduce(0.0) { $0 + Double(abs($1)) }
            XCTAssertEqual(absSum, o.abs_sum, accuracy: Double(tolerance) * Double(all.count) * 0.05 + 1e-3, "\(o.name) |sum|", file: file, line: line)
        }
        return worst
    }
}

final class FaceONNXFixtureTests: XCTestCase {
    /// The Swift LCG reproduces the Python generator (values printed by make_face_fixtures.lcg_bytes).
    func testLCGMatchesPythonGenerator() {
        XCTAssertEqual(FaceFixtureInput.bytes(count: 8, seed: 7), [108, 78, 116, 146, 19, 37, 34, 46])
        XCTAssertEqual(FaceFixtureInput.bytes(count: 3 * 320 * 320, seed: 7).reduce(0) { $0 + Int($1) }, 39_196_641)
    }
}

/// Reference detections (scripts/make_face_detection_fixtures.py): per image, per detector.
struct FaceDetectionFixture: Decodable {
    struct Face: Decodable { var box: [Float]; var score: Float; var landmarks: [Float] }
    var images: [String: [String: [Face]]]

    static func load() throws -> FaceDetectionFixture {
        try JSONDecoder().decode(FaceDetectionFixture.self, from: Data(contentsOf: TestData.fixture("faces/detections.json")))
    }

    /// Runs `detector` on every fixture image and compares with the reference `key` faces in order.
    /// Returns the max coordinate and score errors.
    static func compare(_ detector: FaceDetector, key: String, pixelTolerance: Float, scoreTolerance: Float,
                        file: StaticString = #filePath, line: UInt = #line) throws -> (pixels: Float, score: Float) {
        let fixture = try load()
        var worstPx: Float = 0, worstScore: Float = 0
        for (name, refs) in fixture.images.sorted(by: { $0.key < $1.key }) {
            let url = try TestData.shared("images/faces/\(name)")
            let faces = try detector.detect(try ImageDecoder.decode(contentsOf: url))
            let ref = refs[key] ?? []
            XCTAssertEqual(faces.count, ref.count, "\(name): face count", file: file, line: line)
            for (f, r) in zip(faces, ref) {
                assertAllClose(f.box, r.box, tolerance: pixelTolerance, "\(name) box", file: file, line: line)
                assertAllClose(f.landmarks, r.landmarks, tolerance: pixelTolerance, "\(name) landmarks", file: file, line: line)
                XCTAssertEqual(f.score, r.score, accuracy: scoreTolerance, "\(name) score", file: file, line: line)
                worstPx = max(worstPx, zip(f.box + f.landmarks, r.box + r.landmarks).map { abs($0 - $1) }.max() ?? 0)
                worstScore = max(worstScore, abs(f.score - r.score))
            }
        }
        return (worstPx, worstScore)
    }
}
