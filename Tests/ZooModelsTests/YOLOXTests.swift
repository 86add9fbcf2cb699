import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// YOLOX-nano (CSPDarknet + YOLOPAFPN + YOLOXHead) against onnxruntime 1.31.1
/// (Tests/Fixtures/detect/yolox_nano_raw.json from scripts/make_anchor_free_fixtures.py).
final class YOLOXTests: XCTestCase {
    func load() throws -> SingleStageDetector {
        let card = try ModelZoo.entry(named: "yolox-nano").card
        return try YOLOX.load(onnx: try TestData.shared("weights/yolox-nano/yolox_nano.onnx"), card: card)
    }

    /// Raw output `[1, 3549, 85]` within 1e-4 × the output's scale (max |x| ≈ 10 for the log-size rows):
    /// float32 with other summation orders over ~110 convs.
    func testRawOutputMatchesOnnxruntime() throws {
        let net = try load()
        let fixture = try FaceFixtureFile.load(path: "detect/yolox_nano_raw.json")
        let raw = try net.forward(fixture.inputTensor)
        let scale = fixture.outputs[0].values.map(abs).max()!
        let worst = fixture.compare(["output": raw[0]], tolerance: 1e-4 * max(1, scale))
        print("YOLOX-nano max |ours − onnxruntime| over sampled raw outputs: \(worst) (output scale \(scale))")
    }

    /// A second pass at the same shape allocates no activation buffer.
    func testSecondPassAllocatesNothing() throws {
        let net = try load()
        let x = try FaceFixtureFile.load(path: "detect/yolox_nano_raw.json").inputTensor
        _ = try net.forward(x)
        let slots = net.arenaSlotCount, capacity = net.workspaceCapacity
        _ = try net.forward(x)
        XCTAssertEqual(net.arenaSlotCount, slots)
        XCTAssertEqual(net.workspaceCapacity, capacity)
    }

    /// Strict import: another model's graph is refused with the node named.
    func testRejectsAnotherGraph() throws {
        let card = try ModelZoo.entry(named: "yolox-nano").card
        XCTAssertThrowsError(try YOLOX.load(onnx: try TestData.shared("weights/nanodet-m/nanodet_m.onnx"), card: card)) { e in
            XCTAssertTrue("\(e)".contains("backbone.backbone"), "\(e)")
        }
    }

    /// The declared outputs of each module, and the traced receptive fields (hand-derived for the stem and
    /// checked to grow with depth).
    func testDescriptionDeclaresEveryOutput() throws {
        let net = try load()
        let d = try DetectorDescription(net)
        XCTAssertEqual(d.stages.map(\.module), ["CSPDarknet", "YOLOPAFPN", "YOLOXHead"])
        XCTAssertEqual(d.stages[0].outputs.map(\.stride), [8, 16, 32])
        XCTAssertEqual(d.stages[0].outputs.map { $0.shape[1] }, [64, 128, 256])
        XCTAssertEqual(d.stages[1].outputs.map { $0.shape[1] }, [64, 128, 256])
        for stage in d.stages.prefix(2) {
            for o in stage.outputs {
                let stride = try XCTUnwrap(o.stride)
                XCTAssertEqual(o.receptiveField.jump, stride, "\(stage.module) \(o.name)")
                XCTAssertEqual(o.shape, [1, o.shape[1], 416 / stride, 416 / stride])
            }
        }
        let rf = d.stages[0].outputs.map(\.receptiveField.size)
        XCTAssertEqual(rf, rf.sorted()); XCTAssertGreaterThan(rf[2], 416)
        // Exactly the conv weights+biases and conv MACs of the ONNX graph at 416 (onnx shape inference:
        // 904,463 and 522,553,408; YOLOX's README rounds them to 0.91 M params, 1.08 GFLOPs with thop's extras).
        XCTAssertEqual(d.parameters, 904_463)
        XCTAssertEqual(d.multiplyAccumulates, 522_553_408)
    }
}
