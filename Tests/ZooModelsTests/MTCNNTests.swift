import Foundation
import XCTest
import ZooImage
import ZooNN
import ZooTestSupport
@testable import ZooModels

/// MTCNN against facenet-pytorch 2.6.0 (fixtures from scripts/make_mtcnn_fixtures.py).
final class MTCNNTests: XCTestCase {
    /// `weights/mtcnn` (facenet-pytorch's pnet/rnet/onet.pt, fetched by `vz weights pull mtcnn`), else skip.
    static func weightsDirectory() throws -> URL {
        let dir = TestData.packageRoot.appendingPathComponent("weights/mtcnn")
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("onet.pt").path) else {
            throw XCTSkip("weights/mtcnn/{pnet,rnet,onet}.pt absent (run vz weights pull mtcnn): skipped")
        }
        return dir
    }

    private static var cached: MTCNN?
    static func detector() throws -> MTCNN {
        if let cached { return cached }
        let d = try MTCNN(directory: try weightsDirectory())
        cached = d
        return d
    }

    private func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: TestData.fixture("mtcnn/\(name)"))) as! [String: Any]
    }

    /// The fixtures' synthetic input: element i = ((i·37) mod 255 − 127.5) · 0.0078125.
    private func synth(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, data: (0..<n).map { (Float(($0 * 37) % 255) - 127.5) * 0.0078125 })
    }

    func testAreaResizeIsBitExactWithTorchInterpolateArea() throws {
        let f = try json("area_resize.json")
        let h = f["height"] as! Int, w = f["width"] as! Int
        let img = Image(width: w, height: h, pixels: (0..<(h * w * 3)).map { UInt8(($0 * 97) % 256) })
        for c in f["cases"] as! [[String: Any]] {
            let oh = c["out_h"] as! Int, ow = c["out_w"] as! Int
            let expected = (c["output"] as! [Double]).map(Float.init)
            let out = Tensor(zeros: [3, oh, ow])
            MTCNNAreaResize.resize(img, x0: 0, y0: 0, x1: w, y1: h, outW: ow, outH: oh, normalize: false, into: out.pointer)
            // Exact: integer sums, then sum / kh / kw in Float32 as ATen does.
            assertAllClose(out.toArray(), expected, tolerance: 0, "\(oh)x\(ow)")
        }
    }

    func testAreaResizeMatchesNaiveReferenceOnRandomRegions() {
        var rng = SystemRandomNumberGenerator()
        let img = Image(width: 41, height: 29, pixels: (0..<(41 * 29 * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        for _ in 0..<30 {
            let x0 = Int.random(in: 0..<40, using: &rng), y0 = Int.random(in: 0..<28, using: &rng)
            let x1 = Int.random(in: (x0 + 1)...41, using: &rng), y1 = Int.random(in: (y0 + 1)...29, using: &rng)
            let ow = Int.random(in: 1...50, using: &rng), oh = Int.random(in: 1...50, using: &rng)
            let out = Tensor(zeros: [3, oh, ow])
            MTCNNAreaResize.resize(img, x0: x0, y0: y0, x1: x1, y1: y1, outW: ow, outH: oh, normalize: false, into: out.pointer)
            assertAllClose(out.toArray(), MTCNNAreaResize.reference(img, x0: x0, y0: y0, x1: x1, y1: y1, outW: ow, outH: oh),
                           tolerance: 0, "region \(x0),\(y0)-\(x1),\(y1) → \(ow)x\(oh)")
        }
    }

    func testNetworksMatchFacenetPytorch() throws {
        let f = try json("nets.json")
        let d = try Self.detector()
        func vals(_ net: String, _ key: String) -> [Float] { ((f[net] as! [String: Any])[key] as! [Double]).map(Float.init) }
        // 1e-4: Float32 convolutions summed in a different order than torch's; outputs are O(1).
        let p = d.pnet(synth([1, 3, 20, 24]))
        XCTAssertEqual(p.reg.shape, [1, 4, 5, 7])
        assertAllClose(p.reg.toArray(), vals("pnet", "reg"), tolerance: 1e-4, "pnet reg")
        assertAllClose(p.prob.toArray(), vals("pnet", "prob"), tolerance: 1e-4, "pnet prob")
        let r = d.rnet(synth([2, 3, 24, 24]))
        assertAllClose(r.reg.toArray(), vals("rnet", "reg"), tolerance: 1e-4, "rnet reg")
        assertAllClose(r.prob.toArray(), vals("rnet", "prob"), tolerance: 1e-4, "rnet prob")
        let o = d.onet(synth([2, 3, 48, 48]))
        assertAllClose(o.reg.toArray(), vals("onet", "reg"), tolerance: 1e-4, "onet reg")
        assertAllClose(o.landmarks.toArray(), vals("onet", "landmarks"), tolerance: 1e-4, "onet landmarks")
        assertAllClose(o.prob.toArray(), vals("onet", "prob"), tolerance: 1e-4, "onet prob")
    }

    /// Parity with `MTCNN(keep_all=True).detect(img, landmarks=True)` on every shared face image: same number of
    /// faces, boxes and landmarks within 0.05 px (the issue asks 2 px), scores within 1e-3.
    func testCascadeParityOnSharedFaces() throws {
        let d = try Self.detector()
        let f = try json("detections.json")
        _ = try TestData.shared("images/faces")
        for (name, value) in f.sorted(by: { $0.key < $1.key }) {
            let expected = (value as! [String: Any])["faces"] as! [[String: Any]]
            let img = try ImageDecoder.decode(contentsOf: try TestData.shared("images/faces/\(name)"))
            let got = try d.cascade(img)
            XCTAssertEqual(got.count, expected.count, name)
            var worstBox: Float = 0, worstMark: Float = 0
            for (g, e) in zip(got, expected) {
                let eb = (e["box"] as! [Double]).map(Float.init), el = (e["landmarks"] as! [Double]).map(Float.init)
                worstBox = max(worstBox, zip(g.box, eb).map { abs($0 - $1) }.max()!)
                worstMark = max(worstMark, zip(g.landmarks, el).map { abs($0 - $1) }.max()!)
                XCTAssertEqual(g.score, Float(e["score"] as! Double), accuracy: 1e-3, name)
            }
            // The bar is 2 px; the port reproduces the reference to Float32 rounding (measured ≤ 1e-4 px),
            // so hold it to 0.05 px to catch any drift in resampling, NMS order or regression arithmetic.
            XCTAssertLessThanOrEqual(worstBox, 0.05, "\(name) box")
            XCTAssertLessThanOrEqual(worstMark, 0.05, "\(name) landmarks")
            print("MTCNN parity \(name): \(got.count) faces, max |Δbox| \(worstBox) px, max |Δlandmark| \(worstMark) px")
        }
    }

    /// With the default final score (0.9) t1.jpg gives exactly its six faces: the cascade's hand and glass
    /// (p ≈ 0.87) are dropped.
    func testDefaultScoreKeepsTheSixFacesOfT1() throws {
        let d = try Self.detector()
        let img = try ImageDecoder.decode(contentsOf: try TestData.shared("images/faces/t1.jpg"))
        XCTAssertEqual(try d.cascade(img).count, 8)
        let faces = try d.detect(img)
        XCTAssertEqual(faces.count, 6)
        XCTAssertTrue(faces.allSatisfy { $0.score >= 0.975 })
        XCTAssertEqual(faces.map(\.score), faces.map(\.score).sorted(by: >))
    }

    func testRotatedFaceIsNotFoundUpright() throws {
        let d = try Self.detector()
        let img = try ImageDecoder.decode(contentsOf: try TestData.shared("images/faces/r90.jpg"))
        XCTAssertEqual(try d.detect(img).count, 0)
    }

    func testTinyAndBlankImagesGiveNoFaces() throws {
        let d = try Self.detector()
        XCTAssertEqual(try d.detect(Image(width: 5, height: 5)).count, 0)
        XCTAssertEqual(try d.detect(Image(width: 0, height: 0)).count, 0)
        XCTAssertEqual(try d.detect(Image(width: 64, height: 48, fill: (128, 128, 128))).count, 0)
    }

    func testPyramidMatchesReferenceArithmetic() throws {
        let d = try Self.detector()
        // detect_face: m = 12/20; scales while min(h,w)·m·0.709^k >= 12. For 250×250: 0.6·250 = 150 → 8 levels.
        let s = d.pyramid(width: 250, height: 250)
        XCTAssertEqual(s.count, 8)
        XCTAssertEqual(s[0], 0.6, accuracy: 1e-12)
        XCTAssertEqual(s[7], 0.6 * pow(0.709, 7), accuracy: 1e-12)
    }

    func testMissingWeightsNameTheFile() {
        let dir = URL(fileURLWithPath: "/nonexistent-vz-weights")
        XCTAssertThrowsError(try MTCNN(directory: dir)) { e in XCTAssertTrue("\(e)".contains("pnet.pt"), "\(e)") }
    }

    /// Issue 14 item 7: a large blank image (under the pixel limit) used to run the whole unbounded pyramid
    /// (9500 × 9500: 28 s, 4.0 GB). Levels longer than `maxPyramidSide` are skipped now; a 6000 × 6000 image
    /// (formerly a 3600 × 3600 first level) must finish in bounded time, with no face.
    func testLargeImageWorkIsBounded() throws {
        let d = try Self.detector()
        let img = Image(width: 6000, height: 6000, fill: (255, 255, 255))
        let t0 = Date()
        XCTAssertEqual(try d.cascade(img).count, 0)
        let elapsed = Date().timeIntervalSince(t0)
        print("MTCNN on a blank 6000 × 6000 image: \(elapsed) s")
        XCTAssertLessThan(elapsed, 8)
    }
}
