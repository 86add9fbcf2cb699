import Foundation
import XCTest
import ZooDetect
import ZooImage
@testable import ZooModels
@testable import ZooPipelines
import ZooTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `detr-resnet50` / `detr-resnet101` as zoo models: their cards, `vz weights pull` of the published `.pth` name
/// against a loopback server (127.0.0.1 only) serving the seeded random checkpoint of scripts/make_detr_checkpoint.py,
/// and the detection pipeline (`.shortestSide` without padding, no NMS, COCO names, boxes in image pixels).
final class DETRPipelineTests: XCTestCase {
    static let checkpoint = TestData.packageRoot.appendingPathComponent("weights/detr-random/detr-r50-random.pth")

    func requireCheckpoint() throws -> URL {
        guard FileManager.default.fileExists(atPath: Self.checkpoint.path) else {
            throw XCTSkip("weights/detr-random/detr-r50-random.pth absent: generate it with "
                          + "~/.cache/vz-ref-venv/bin/python scripts/make_detr_checkpoint.py --checkpoint-only")
        }
        return Self.checkpoint
    }

    func testEntriesPointAtThePublishedCheckpoints() throws {
        for (name, file, ap) in [("detr-resnet50", "detr-r50-e632da11.pth", "42.0"), ("detr-resnet101", "detr-r101-2c7b67e5.pth", "43.5")] {
            let c = try ModelZoo.entry(named: name).card
            guard case .http(let base, _) = c.source else { return XCTFail("\(name) is not an http source") }
            XCTAssertEqual(base, "https://dl.fbaipublicfiles.com/detr")
            XCTAssertEqual(c.files.map(\.name), [file])
            XCTAssertNotNil(WeightsPuller.hashPrefix(file))
            XCTAssertTrue(c.accuracy.contains("AP \(ap)") && c.accuracy.contains("facebookresearch/detr"), c.accuracy)
            XCTAssertEqual(c.input.resize, .shortestSide)
            XCTAssertEqual(c.input.sizeMultiple, 1, "DETR input is not padded (batch 1: no pixel mask)")
        }
        // Not padded: the tensor is exactly the resized image.
        let p = try Preprocess(input: try ModelZoo.entry(named: "detr-resnet50").card.input)
        XCTAssertEqual(p.shape(for: Image(width: 640, height: 480)), [1, 3, 800, 1066])
    }

    /// `VZ_WEIGHTS_MIRROR` replaces https://dl.fbaipublicfiles.com/detr; the file's sha256 prefix (torch.hub style) is
    /// checked; the pulled folder then loads as the zoo model and detects like `--weights FILE`.
    func testPullFromAMirrorThenDetect() throws {
        let url = try requireCheckpoint()
        let bytes = [UInt8](try Data(contentsOf: url))
        let sha = WeightsSHA256.hex(of: Data(bytes))
        let name = "detr-r50-\(sha.prefix(8)).pth"
        let server = try WeightsHTTPPullTests.LoopbackServer(files: ["/detr/\(name)": bytes])
        defer { server.stop() }
        setenv("VZ_WEIGHTS_MIRROR", "http://127.0.0.1:\(server.port)/detr", 1)
        defer { unsetenv("VZ_WEIGHTS_MIRROR") }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vz-detr-pull-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var card = try ModelZoo.entry(named: "detr-resnet50").card
        card.files = [WeightFile(name)]
        let store = WeightsStore(searchRoots: [root], installRoot: root)
        guard case .installed = try WeightsPuller(store: store).pull(card) else { return XCTFail("not installed") }
        XCTAssertEqual(server.seen, ["/detr/\(name)"])

        let folder = try store.require(card)
        let options = DetectorOptions(confidence: 0.05, maxDetections: 100, size: 256)
        let pulled = try Detector(model: try DETR.load(checkpoint: folder.appendingPathComponent(name), card: card), options: options)
        let direct = try Detector.load("detr-resnet50", options: options, weightsFile: url)
        XCTAssertEqual(direct.model.postprocessing, .none)
        XCTAssertEqual(direct.model.classNames, COCOClassNames.names)
        let (h, w) = (200, 300)
        var px = [UInt8](repeating: 0, count: h * w * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256) } } }
        let image = Image(width: w, height: h, pixels: px)
        XCTAssertEqual(direct.preprocess.shape(for: image), [1, 3, 256, 384])
        let a = try direct.detect(image, name: "synthetic"), b = try pulled.detect(image, name: "synthetic")
        XCTAssertGreaterThan(a.detections.count, 0, "random weights at confidence 0.05 must detect something")
        XCTAssertEqual(a.detections, b.detections)
        XCTAssertTrue(a.detections.allSatisfy { COCOClassNames.names.contains($0.label ?? "") && $0.box.x2 <= Float(w) && $0.box.y2 <= Float(h) })
        XCTAssertLessThanOrEqual(a.detections.count, 100)
    }
}
