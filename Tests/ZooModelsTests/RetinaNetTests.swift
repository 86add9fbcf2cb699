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

    /// torchvision's head output layout `N, Σ H·W·A, K` (levels concatenated, (y, x, a) rows) from ours `N, A·K, H, W`.
    func flattened(_ levels: [Tensor], _ k: Int) -> [Float] {
        var out: [Float] = []
        for t in levels {
            let ak = t.shape[1], hw = t.shape[2] * t.shape[3], a = ak / k, p = t.pointer
            for i in 0..<hw { for j in 0..<a { for c in 0..<k { out.append(p[(j * k + c) * hw + i]) } } }
        }
        return out
    }

    func compare(_ v: [Float], _ r: Record, _ label: String) -> Float {
        XCTAssertEqual(v.count, r.shape.reduce(1, *), label)
        var worst: Float = 0
        for (j, e) in r.samples.enumerated() where j * r.step < v.count { worst = max(worst, abs(v[j * r.step] - e) / r.scale) }
        XCTAssertLessThanOrEqual(worst, 1e-4, label)
        XCTAssertEqual(v.reduce(0.0) { $0 + Double($1) }, r.sum, accuracy: 1e-4 * r.abs_sum, "\(label) sum")
        return worst
    }

    /// Same detections in order, except near-equal scores (within 1e-5) which may swap within ±4 places.
    func compare(_ mine: [Detection], _ ref: Dets, scale: Float, _ label: String) -> Int {
        XCTAssertEqual(mine.count, ref.scores.count, "\(label) count")
        XCTAssertGreaterThan(ref.scores.count, 0, label)
        func same(_ d: Detection, _ i: Int) -> Bool {
            d.classID == ref.labels[i] && abs(d.score - ref.scores[i]) <= 1e-5
                && (0..<4).allSatisfy { abs(d.box.corners[$0] - ref.boxes[4 * i + $0]) <= 1e-4 * scale }
        }
        var swaps = 0
        for i in 0..<min(mine.count, ref.scores.count) where !same(mine[i], i) {
            let window = max(0, i - 4)...min(mine.count - 1, i + 4)
            XCTAssertNotNil(window.first { same(mine[$0], i) }, "\(label) #\(i): \(ref.labels[i]) \(ref.scores[i]) not among ours near \(i)")
            swaps += 1
        }
        return swaps
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
            report.append("fpn \(name) \(compare(s.features[i].toArray(), rec, "fpn \(name)"))")
        }
        report.append("cls \(compare(flattened(s.logits, net.head.classes), f.cls_logits, "cls_logits"))")
        report.append("box \(compare(flattened(s.deltas, 4), f.bbox_regression, "bbox_regression"))")
        report.append("swaps \(compare(s.detections, f.detections_input_pixels, scale: Float(max(r.height, r.width)), "detections"))")
        report.append("swaps \(compare(try net.detect(img), f.detections, scale: Float(max(img.height, img.width)), "detections in image pixels"))")
        print("RetinaNet R50-FPN worst |ours − torchvision| / scale: " + report.joined(separator: ", "))
    }

    func testAnchorSizesAreTorchvisions() {
        // (x, int(x · 2^(1/3)), int(x · 2^(2/3))): 32 → 40, 50; 512 → 645, 812.
        XCTAssertEqual(RetinaNet.anchorGenerator.sizes[0], [32, 40, 50])
        XCTAssertEqual(RetinaNet.anchorGenerator.sizes[4], [512, 645, 812])
        XCTAssertEqual(RetinaNet.anchorGenerator.anchorsPerLocation, [9, 9, 9, 9, 9])
    }
}
