import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// Darknet YOLO as a composition: the cfg trunk (`DarknetNetwork`, backbone + neck in one graph) declaring the maps
/// that feed its `[yolo]` layers, and `YOLOHead` decoding them exactly as the network's own `[yolo]` layers do.
final class DarknetCompositionTests: XCTestCase {
    typealias N = DarknetNetworkTests

    /// Layers 0–8 with receptive fields by hand (size, jump): conv 3×3 (3, 1); maxpool 2/2 (4, 2); conv 3×3/2
    /// (4 + 2·2 = 8, 4); conv 1×1 (8, 4) → yolo 4; route 1 (4, 2); conv 3×3 dilation 2 (4 + 2·2·2 = 12, 2);
    /// conv 1×1 (12, 2) → yolo 8. Parameters and MACs at 32 × 32 by hand (weights + biases; out · in · k²).
    static let cfg = N.net(32, 32) + N.conv(4, 3) + "\n[maxpool]\nsize=2\nstride=2\n" + N.conv(4, 3, stride: 2)
        + N.conv(14, 1, bn: false, act: "linear") + N.yolo("0,1", num: 2)
        + "\n[route]\nlayers=1\n" + N.conv(8, 3, extra: "dilation=2\n") + N.conv(14, 1, bn: false, act: "linear")
        + N.yolo("0,1", num: 2)

    func compose(_ net: DarknetNetwork) throws -> SingleStageDetector {
        var card = try ModelZoo.entry(named: "yolov3-tiny").card
        card.input.width = 32; card.input.height = 32
        return DarknetDetector.compose(card: card, network: net, classNames: ["a", "b"])
    }

    func testDescriptionByHand() throws {
        let net = try DarknetTestSupport.network(Self.cfg)
        XCTAssertEqual(net.outputs, [FeatureMapSpec(name: "conv_3", channels: 14, stride: 4),
                                     FeatureMapSpec(name: "conv_7", channels: 14, stride: 2)])
        let d = try DetectorDescription(try compose(net))
        XCTAssertEqual(d.stages.map(\.role), ["backbone+neck", "head"])
        XCTAssertEqual(d.stages.map(\.module), ["DarknetNetwork", "YOLOHead"])
        XCTAssertEqual(d.stages[0].outputs.map(\.receptiveField), [ReceptiveField(size: 8, jump: 4), ReceptiveField(size: 12, jump: 2)])
        XCTAssertEqual(d.stages[0].outputs.map(\.shape), [[1, 14, 8, 8], [1, 14, 16, 16]])
        XCTAssertEqual(d.stages[1].outputs.map(\.name), ["yolo_4", "yolo_8"])
        XCTAssertEqual(d.stages[1].outputs.map(\.shape), [[1, 8 * 8 * 2, 7], [1, 16 * 16 * 2, 7]])
        XCTAssertEqual(d.parameters, 112 + 148 + 70 + 296 + 126)
        XCTAssertEqual(d.multiplyAccumulates, 110_592 + 9_216 + 3_584 + 73_728 + 28_672)
    }

    /// The composed detector's head outputs are the network's own `[yolo]` outputs, bit for bit, and a second
    /// pass allocates nothing.
    func testHeadEqualsTheNetworksYoloLayers() throws {
        let net = try DarknetTestSupport.network(N.yolov3Like)
        let x = DarknetTestSupport.input(3, 64, 64)
        let own = try net.forward(x).map { $0.toArray() }
        let detector = try compose(net)
        let composed = try detector.forward(x)
        XCTAssertEqual(composed.map { $0.toArray() }, own)
        let slots = detector.arenaSlotCount
        _ = try detector.forward(x)
        XCTAssertEqual(detector.arenaSlotCount, slots)
        XCTAssertEqual(detector.postprocessing, .nms(classAware: true))
    }
}
