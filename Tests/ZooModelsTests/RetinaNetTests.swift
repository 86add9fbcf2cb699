import Foundation
import XCTest
import ZooDetect
import ZooImage
@testable import ZooModels
import ZooNN
import ZooTestSupport

/// RetinaNet R50-FPN against torchvision 0.29.1 on the seeded random-weight checkpoint of
/// scripts/make_torchvision_fixtures.py (Tests/Fixtures/torchvision/retinanet_r50_fpn.json). Tolerance as
/// `FasterRCNNTests`: 1e-4 of each tensor's scale.
final class RetinaNetTests: XCTestCase {
    static let checkpoint = TestData.packageRoot.appendingPathComponent("weights/torchvision-random/retinanet_resnet50_fpn_random.pth")

    typealias Record = FasterRCNNTests.Record
    typealias Dets = FasterRCNNTests.Dets
    typealias P = TorchvisionParity
    struct Fixture: Decodable {
        var checksums: [String: Double]; var image: FasterRCNNTests.Fixture.ImageSpec
        var features: [String: Record]; var cls_logits: Record; var bbox_regression: Record
        var detections_input_pixels: Dets; var detections: Dets
    }

    static func model() throws -> RetinaNet {
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            throw XCTSkip("weights/torchvision-random/retinanet_resnet50_fpn_random.pth absent: generate it with "
                          + "~/.cache/vz-ref-venv/bin/python scripts/make_torchvision_fixtures.py --checkpoint-only")
        }
        return try RetinaNet(checkpoint: checkpoint, transform: GeneralizedRCNNTransform(minSize: 320, maxSize: 1333))
    }

    func testEveryStageMatchesTorchvision() throws {
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestData.fixture("torchvision/retinanet_r50_fpn.json")))
        let net = try Self.model()
        let img = FasterRCNNTests.image(height: f.image.height, width: f.image.width)
        let x = Tensor(zeros: net.transform.tensorShape(height: img.height, width: img.width))
        let r = net.transform.apply(img, into: x)
        let s = try net.forward(x, imageHeight: r.height, imageWidth: r.width)
        var report: [String] = []
        for (i, name) in ["0", "1", "2", "p6", "p7"].enumerated() {
            let rec = try XCTUnwrap(f.features[name])
            report.append("fpn \(name) \(P.compare(s.features[i].toArray(), rec, "fpn \(name)"))")
        }
        report.append("cls \(P.compare(P.flattened(s.logits, net.head.classes), f.cls_logits, "cls_logits"))")
        report.append("box \(P.compare(P.flattened(s.deltas, 4), f.bbox_regression, "bbox_regression"))")
        report.append("swaps \(P.compare(s.detections, f.detections_input_pixels, scale: Float(max(r.height, r.width)), "detections"))")
        report.append("swaps \(P.compare(try net.detect(img), f.detections, scale: Float(max(img.height, img.width)), "detections in image pixels"))")
        print("RetinaNet R50-FPN worst |ours − torchvision| / scale: " + report.joined(separator: ", "))
    }

    func testAnchorSizesAreTorchvisions() {
        // (x, int(x · 2^(1/3)), int(x · 2^(2/3))): 32 → 40, 50; 512 → 645, 812.
        XCTAssertEqual(RetinaNet.anchorGenerator.sizes[0], [32, 40, 50])
        XCTAssertEqual(RetinaNet.anchorGenerator.sizes[4], [512, 645, 812])
        XCTAssertEqual(RetinaNet.anchorGenerator.anchorsPerLocation, [9, 9, 9, 9, 9])
    }
}
