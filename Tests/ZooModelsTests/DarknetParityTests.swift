import Foundation
import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// Raw `[yolo]` outputs of the three real darknet models against OpenCV DNN 4.14 (`readNetFromDarknet`) on the
/// same synthetic input (fixtures from scripts/make_darknet_fixtures.py).
///
/// Compared per [yolo] layer i: (1) the raw logits feeding it (OpenCV `conv_<i-1>`), sampled elements and the
/// whole-tensor sum/abs-sum/min/max; (2) OpenCV's decoded yolo output (`yolo_<i>`) — our `YoloLayer` writes the
/// same matrix, except OpenCV zeroes class scores ≤ 0.2, so where OpenCV has 0 we require ours ≤ 0.2 + tol.
/// Tolerance 1e-3 absolute: float32 convolutions summing up to ~9·1024 products in a different order
/// (OpenBLAS vs OpenCV's kernels) through 13–130 layers.
final class DarknetParityTests: XCTestCase {
    static let tolerance: Float = 1e-3

    func check(model: String, folder: String, size: Int) throws {
        let dir = try DarknetTestSupport.realModel(folder: folder, files: [model + ".cfg", model + ".weights"])
        let net = try DarknetNetwork(cfg: dir.appendingPathComponent(model + ".cfg"),
                                     weights: dir.appendingPathComponent(model + ".weights"))
        let fixture = try SafeTensors(contentsOf: TestData.fixture("darknet/\(model).safetensors"))
        let x = DarknetTestSupport.syntheticInput(channels: 3, height: size, width: size)
        let inStats = try fixture.tensor("input.stats").toArray()
        XCTAssertEqual(Double(x.toArray().reduce(0, +)), Double(inStats[1]), accuracy: 1, "synthetic input differs from the fixture's")
        let heads = try net.forward(x)
        let outs = try net.layerOutputs(for: x.shape)
        XCTAssertEqual(heads.count, net.yoloIndices.count)
        for (k, i) in net.yoloIndices.enumerated() {
            let raw = outs[i - 1], out = heads[k]
            // (1) raw logits
            let ri = try fixture.tensor("yolo\(i).raw.index").toArray().map { Int($0) }
            let rv = try fixture.tensor("yolo\(i).raw.value").toArray()
            assertAllClose(ri.map { raw.pointer[$0] }, rv, tolerance: Self.tolerance, "\(model) conv_\(i - 1) sample")
            let rs = try fixture.tensor("yolo\(i).raw.stats").toArray()
            XCTAssertEqual(Float(raw.count), rs[0])
            let vals = raw.toArray()
            XCTAssertEqual(Double(vals.reduce(0, +)), Double(rs[1]), accuracy: Double(rs[0]) * 1e-4, "\(model) conv_\(i - 1) sum")
            XCTAssertEqual(Double(vals.map(abs).reduce(0, +)), Double(rs[2]), accuracy: Double(rs[0]) * 1e-4, "\(model) conv_\(i - 1) abs sum")
            XCTAssertEqual(vals.min()!, rs[3], accuracy: Self.tolerance)
            XCTAssertEqual(vals.max()!, rs[4], accuracy: Self.tolerance)
            // (2) decoded yolo output, OpenCV layout
            let oi = try fixture.tensor("yolo\(i).out.index").toArray().map { Int($0) }
            let ov = try fixture.tensor("yolo\(i).out.value").toArray()
            let stride = out.shape[2]
            XCTAssertEqual(Float(out.count), try fixture.tensor("yolo\(i).out.stats").toArray()[0])
            var worst: Float = 0
            for (j, idx) in oi.enumerated() {
                let ours = out.pointer[idx], theirs = ov[j]
                if idx % stride >= 5 && theirs == 0 {
                    XCTAssertLessThanOrEqual(ours, 0.2 + Self.tolerance, "\(model) yolo_\(i)[\(idx)]: OpenCV zeroed it (≤ 0.2)")
                } else {
                    worst = max(worst, abs(ours - theirs))
                }
            }
            XCTAssertLessThanOrEqual(worst, Self.tolerance, "\(model) yolo_\(i) max |diff| \(worst)")
            print("parity \(model) yolo_\(i): max |diff| decoded \(worst), raw sample \(zip(ri.map { raw.pointer[$0] }, rv).map { abs($0 - $1) }.max() ?? 0)")
        }
    }

    func testYolov3Tiny() throws { try check(model: "yolov3-tiny", folder: "yolov3-tiny", size: 416) }
    func testYoloFastest11() throws { try check(model: "yolo-fastest-1.1", folder: "yolo-fastest", size: 320) }
    func testYoloFastest11XL() throws { try check(model: "yolo-fastest-1.1-xl", folder: "yolo-fastest", size: 320) }
}
