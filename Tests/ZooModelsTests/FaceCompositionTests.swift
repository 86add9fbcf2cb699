import XCTest
import ZooDetect
import ZooImage
import ZooModels
import ZooNN
import ZooTestSupport

/// The face detectors as compositions of modules: declared outputs, traced receptive fields, and parameters and
/// multiply-accumulates equal to the ONNX graphs' (conv weights + biases and conv MACs under onnx shape
/// inference at the card's size, counted by `scripts/onnx_conv_cost.py`).
final class FaceCompositionTests: XCTestCase {
    func check(_ net: SingleStageDetector, modules: [String], channels: [[Int]], parameters: Int, macs: Int,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let d = try DetectorDescription(net)
        XCTAssertEqual(d.stages.map(\.module), modules, file: file, line: line)
        for (stage, ch) in zip(d.stages.prefix(2), channels) {
            XCTAssertEqual(stage.outputs.map(\.stride), [8, 16, 32], stage.module, file: file, line: line)
            XCTAssertEqual(stage.outputs.map { $0.shape[1] }, ch, stage.module, file: file, line: line)
            for o in stage.outputs {
                XCTAssertEqual(o.receptiveField.jump, o.stride, "\(stage.module) \(o.name)", file: file, line: line)
                XCTAssertEqual(o.shape, [1, o.shape[1], net.card.input.height / o.stride!, net.card.input.width / o.stride!], file: file, line: line)
            }
        }
        // Backbone maps: coarser maps see more (a top-down neck hands the coarse context back down).
        let rf = d.stages[0].outputs.map(\.receptiveField.size)
        XCTAssertEqual(rf, rf.sorted(), "\(d.stages[0].module): coarser maps see more", file: file, line: line)
        XCTAssertEqual(d.stages[2].outputs.map(\.name), net.head.rawOutputNames, file: file, line: line)
        XCTAssertEqual(d.parameters, parameters, "parameters", file: file, line: line)
        XCTAssertEqual(d.multiplyAccumulates, macs, "multiply-accumulates", file: file, line: line)
    }

    func testYuNet() throws {
        let net = try YuNet.load(onnx: try TestData.shared("weights/yunet/yunet_n_320_320.onnx"))
        try check(net, modules: ["YuNetBackbone", "TFPN", "YuNetHead"], channels: [[64, 64, 64], [64, 64, 64]],
                  parameters: 73_840, macs: 135_598_400)
        XCTAssertEqual(net.postprocessing, .nms(classAware: false, iou: 0.3, maxDetections: 5000))
    }

    func testSCRFD() throws {
        let net = try SCRFD.load(onnx: try TestData.shared("weights/scrfd/scrfd_500m_bnkps.onnx"))
        try check(net, modules: ["MobileNetV1", "PAFPN", "SCRFDHead"], channels: [[72, 152, 288], [16, 16, 16]],
                  parameters: 626_354, macs: 733_545_600)
        XCTAssertEqual(net.postprocessing, .nms(classAware: false, iou: 0.4, pixelOffset: 1))
    }

    func testRetinaFace() throws {
        let net = try RetinaFace.load(onnx: try TestData.shared("weights/retinaface/retinaface_mbnet0.25.onnx"))
        try check(net, modules: ["MobileNetV1", "RetinaFaceFPN", "RetinaFaceHead"], channels: [[64, 128, 256], [64, 64, 64]],
                  parameters: 423_264, macs: 981_145_600)
        XCTAssertEqual(net.postprocessing, .nms(classAware: false, iou: 0.4, pixelOffset: 1))
    }

    /// A second detection at the same canvas allocates no activation buffer.
    func testSecondPassAllocatesNothing() throws {
        let d = try SCRFD.detector(contentsOf: try TestData.shared("weights/scrfd/scrfd_500m_bnkps.onnx"), inputWidth: 320, inputHeight: 256)
        let img = Image(width: 300, height: 200, fill: (90, 120, 150))
        _ = try d.detect(img)
        let slots = d.network.arenaSlotCount
        _ = try d.detect(img)
        XCTAssertEqual(d.network.arenaSlotCount, slots)
    }

    /// The anchor grid visits levels, rows, columns and anchors in the flattened outputs' order.
    func testAnchorGridOrder() {
        let g = AnchorGrid(strides: [8, 16], perCell: 2, inputHeight: 20, inputWidth: 24)
        XCTAssertEqual(g.levels.map(\.rows), [3, 2]); XCTAssertEqual(g.levels.map(\.cols), [3, 2])
        var seen: [[Int]] = []
        g.forEach { _, l, r, c, a, i, off in seen.append([l, r, c, a, i, off]) }
        XCTAssertEqual(seen.count, g.count); XCTAssertEqual(g.count, 18 + 8)
        XCTAssertEqual(seen[0], [0, 0, 0, 0, 0, 0]); XCTAssertEqual(seen[1], [0, 0, 0, 1, 1, 0])
        XCTAssertEqual(seen[7], [0, 1, 0, 1, 7, 0]); XCTAssertEqual(seen[18], [1, 0, 0, 0, 0, 18])
        XCTAssertEqual(seen.last, [1, 1, 1, 1, 7, 18])
    }

    /// `Postprocessing.apply`: the declared IoU unless the caller gives one, the +1 pixel convention, the cap.
    func testPostprocessingRule() {
        func det(_ x1: Float, _ s: Float) -> Detection { Detection(box: Box(x1: x1, y1: 0, x2: x1 + 10, y2: 10), score: s, classID: 0) }
        let c = [det(0, 0.9), det(4, 0.8), det(30, 0.7)]          // IoU(0, 1) = 6·10 / (200 − 60) = 0.43
        XCTAssertEqual(Postprocessing.nms(classAware: false, iou: 0.4).apply(c).map(\.score), [0.9, 0.7])
        XCTAssertEqual(Postprocessing.nms(classAware: false, iou: 0.4).apply(c, iou: 0.5).map(\.score), [0.9, 0.8, 0.7])
        // +1 px: IoU = 7·11 / (2·121 − 77) = 0.467
        XCTAssertEqual(Postprocessing.nms(classAware: false, iou: 0.45, pixelOffset: 1).apply(c).map(\.score), [0.9, 0.7])
        XCTAssertEqual(Postprocessing.nms(classAware: false, iou: 0.45).apply(c).map(\.score), [0.9, 0.8, 0.7])
        XCTAssertEqual(Postprocessing.nms(classAware: false, iou: 0.5, maxDetections: 2).apply(c).map(\.score), [0.9, 0.8])
        XCTAssertEqual(Postprocessing.none.apply(c, maxDetections: 1).map(\.score), [0.9])
    }
}
