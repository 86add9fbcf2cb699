import Foundation
import XCTest
import ZooDetect
import ZooImage
@testable import ZooModels
import ZooNN
import ZooTestSupport

/// FCOS R50-FPN against torchvision 0.29.1 on the seeded random-weight checkpoint of
/// scripts/make_torchvision_fixtures.py (`--only fcos`; Tests/Fixtures/torchvision/fcos_r50_fpn.json).
/// Tolerance as `FasterRCNNTests`: 1e-4 of each tensor's scale (mean |x|) per sampled element and of Σ|x| for sums
/// (Float32 through 57 convolutions and 8 GroupNorms with other summation orders); detection scores to 1e-5
/// absolute, boxes to 1e-4 of the input size, near-equal scores allowed to swap within ±4 places.
final class FCOSTests: XCTestCase {
    static let checkpoint = TestData.packageRoot.appendingPathComponent("weights/torchvision-random/fcos_resnet50_fpn_random.pth")

    typealias Record = FasterRCNNTests.Record
    typealias Dets = FasterRCNNTests.Dets
    typealias P = TorchvisionParity
    struct Fixture: Decodable {
        var checksums: [String: Double]; var image: FasterRCNNTests.Fixture.ImageSpec
        var features: [String: Record]; var cls_tower_0: Record
        var cls_logits: Record; var bbox_regression: Record; var bbox_ctrness: Record
        var detections_input_pixels: Dets; var detections: Dets
    }

    static func model() throws -> FCOS {
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            throw XCTSkip("weights/torchvision-random/fcos_resnet50_fpn_random.pth absent: generate it with "
                          + "~/.cache/vz-ref-venv/bin/python scripts/make_torchvision_fixtures.py --only fcos --checkpoint-only")
        }
        return try FCOS(checkpoint: checkpoint, transform: GeneralizedRCNNTransform(minSize: 320, maxSize: 1333))
    }

    func testEveryStageMatchesTorchvision() throws {
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestData.fixture("torchvision/fcos_r50_fpn.json")))
        let net = try Self.model()
        let sd = try TorchPickle.loadStateDict(contentsOf: Self.checkpoint)
        for (k, expected) in f.checksums {
            let s = try sd.tensor(k).toArray().reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(s, expected, accuracy: 1e-5 * max(1, abs(expected)), "\(k): not the fixture's checkpoint (re-run the generator)")
        }
        let img = FasterRCNNTests.image(height: f.image.height, width: f.image.width)
        let x = Tensor(zeros: net.transform.tensorShape(height: img.height, width: img.width))
        let r = net.transform.apply(img, into: x)
        let s = try net.forward(x, imageHeight: r.height, imageWidth: r.width)
        var report: [String] = []
        for (i, name) in ["0", "1", "2", "p6", "p7"].enumerated() {
            let rec = try XCTUnwrap(f.features[name])
            report.append("fpn \(name) \(P.compare(s.features[i].toArray(), rec, "fpn \(name)"))")
        }
        // The first tower layer alone (conv → GroupNorm(32) → ReLU on P3).
        let l0 = net.head.classTower[0]
        let t0 = l0.norm(l0.conv(s.features[0]))
        report.append("tower0 \(P.compare(t0.toArray(), f.cls_tower_0, "cls tower layer 0"))")
        report.append("cls \(P.compare(P.flattened(s.logits, net.head.classes), f.cls_logits, "cls_logits"))")
        report.append("box \(P.compare(P.flattened(s.distances, 4), f.bbox_regression, "bbox_regression"))")
        report.append("ctr \(P.compare(P.flattened(s.centerness, 1), f.bbox_ctrness, "bbox_ctrness"))")
        report.append("swaps \(P.compare(s.detections, f.detections_input_pixels, scale: Float(max(r.height, r.width)), "detections"))")
        report.append("swaps \(P.compare(try net.detect(img), f.detections, scale: Float(max(img.height, img.width)), "detections in image pixels"))")
        print("FCOS R50-FPN worst |ours − torchvision| / scale: " + report.joined(separator: ", "))
    }

    /// torchvision's FCOS anchors: one square per location, side = the level's stride, centred on the cell's
    /// top-left input pixel; `BoxLinearCoder(normalize_by_size=True)` scales the distances by that side.
    func testAnchorsAndLinearCoderByHand() {
        XCTAssertEqual(FCOS.anchorGenerator.anchorsPerLocation, [1, 1, 1, 1, 1])
        let a = FCOS.anchorGenerator.anchors(level: 1, gridHeight: 4, gridWidth: 5, imageHeight: 64, imageWidth: 80)
        XCTAssertEqual(a.count, 20)
        let expected: [Float] = [24, 8, 40, 24]   // y = 1, x = 2: centre (32, 16), side 16
        XCTAssertEqual(a[7].corners, expected)
        let b = BoxCoder.linear(0.5, 1, 2, 0.25, relativeTo: a[7])
        let decoded: [Float] = [24, 0, 64, 20]   // centre ∓ (0.5, 1, 2, 0.25) × 16
        XCTAssertEqual(b.corners, decoded)
        let raw: [Float] = [31.5, 15, 34, 16.25]
        XCTAssertEqual(BoxCoder.linear(0.5, 1, 2, 0.25, relativeTo: a[7], normalizedBySize: false).corners, raw)
    }

    /// GroupNorm against the formula computed directly in Float64 (2 groups of 3 channels, affine, ReLU fused).
    func testGroupNormMatchesTheFormula() {
        var gn = GroupNorm(groups: 2, channels: 6, activation: .relu)
        gn.weight = Tensor(shape: [6], data: [1, 0.5, 2, -1, 1.5, 0.25])
        gn.bias = Tensor(shape: [6], data: [0, 0.1, -0.2, 0.3, 0, 1])
        let n = 2, hw = 7
        let x = Tensor(shape: [n, 6, 1, hw], data: (0..<(n * 6 * hw)).map { Float(sin(Double($0) * 1.7) * 3 + Double($0 % 5)) })
        let y = gn(x)
        let xv = x.toArray(), yv = y.toArray(), w = gn.weight.toArray(), b = gn.bias.toArray()
        for s in 0..<n {
            for g in 0..<2 {
                let idx = (0..<(3 * hw)).map { (s * 6 + g * 3) * hw + $0 }
                let mean = idx.map { Double(xv[$0]) }.reduce(0, +) / Double(idx.count)
                let variance = idx.map { (Double(xv[$0]) - mean) * (Double(xv[$0]) - mean) }.reduce(0, +) / Double(idx.count)
                for i in idx {
                    let c = (i / hw) % 6
                    let e = max(0, (Double(xv[i]) - mean) / (variance + 1e-5).squareRoot() * Double(w[c]) + Double(b[c]))
                    XCTAssertEqual(Double(yv[i]), e, accuracy: 1e-5, "n \(s) c \(c)")
                }
            }
        }
        // In place gives the same.
        gn.forward(x, into: x, workspace: Workspace())
        XCTAssertEqual(x.toArray(), yv)
    }

    func testWrongCheckpointIsRefusedWithTheKey() throws {
        XCTAssertThrowsError(try FCOS(checkpoint: TestData.fixture("torch/fpn_zip.pth"))) { e in
            XCTAssertTrue("\(e)".contains("head.classification_head.cls_logits.weight"), "\(e)")
        }
    }
}
