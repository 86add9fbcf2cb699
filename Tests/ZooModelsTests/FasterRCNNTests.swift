import Foundation
import XCTest
import ZooDetect
import ZooImage
@testable import ZooModels
@testable import ZooNN
import ZooTestSupport

/// Faster R-CNN R50-FPN against torchvision 0.29.1 at every stage, on the seeded random-weight checkpoint that
/// scripts/make_torchvision_fixtures.py writes (≈ 160 MB, not committed) and the fixture it records
/// (Tests/Fixtures/torchvision/faster_rcnn_r50_fpn.json).
///
/// Tolerance 1e-4 relative to each tensor's scale (mean |x|) per element, and to Σ|x| for sums: Float32 through 60
/// convolutions and two 1024-wide FC layers with other summation orders (OpenBLAS vs oneDNN/MKL-DNN), BatchNorm
/// folded into the convs (torchvision applies it after), measured differences ≈ 1e-6 relative.
final class FasterRCNNTests: XCTestCase {
    static let checkpoint = TestData.packageRoot.appendingPathComponent("weights/torchvision-random/fasterrcnn_resnet50_fpn_random.pth")

    struct Record: Decodable {
        var shape: [Int]; var sum: Double; var abs_sum: Double; var step: Int; var samples: [Float]
        var scale: Float { Float(abs_sum / Double(max(1, shape.reduce(1, *)))) }
    }
    struct Dets: Decodable { var boxes: [Float]; var scores: [Float]; var labels: [Int] }
    struct Fixture: Decodable {
        struct Transform: Decodable { var image_size: [Int]; var tensor: Record }
        struct RPN: Decodable { var objectness: [Record]; var deltas: [Record] }
        struct ImageSpec: Decodable { var height: Int; var width: Int; var min_size: Int; var max_size: Int }
        var checksums: [String: Double]; var image: ImageSpec; var transform: Transform
        var features: [String: Record]; var rpn_head: RPN; var proposals: [Float]; var proposal_scores: [Float]
        var roi_features: Record; var class_logits: Record; var box_regression: Record
        var detections_input_pixels: Dets; var detections: Dets
    }

    static func fixture(_ name: String = "faster_rcnn_r50_fpn") throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestData.fixture("torchvision/\(name).json")))
    }

    static func model() throws -> FasterRCNN {
        try model("fasterrcnn_resnet50_fpn_random.pth", .resnet50FPN, only: "faster")
    }

    /// The generator's checkpoint `file` as `architecture`, with the fixture's transform (min_size 320; the 320
    /// variant's own max_size 640).
    static func model(_ file: String, _ architecture: FasterRCNN.Architecture, only: String) throws -> FasterRCNN {
        let url = TestData.packageRoot.appendingPathComponent("weights/torchvision-random/\(file)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("weights/torchvision-random/\(file) absent: generate it with "
                          + "~/.cache/vz-ref-venv/bin/python scripts/make_torchvision_fixtures.py --only \(only) --checkpoint-only")
        }
        return try FasterRCNN(checkpoint: url, architecture: architecture,
                              transform: GeneralizedRCNNTransform(minSize: 320, maxSize: architecture.transform.maxSize))
    }

    /// The fixture's synthetic image: pixel(y, x, c) = (3x + 5y + 70c + (x·y) % 31) % 256.
    static func image(_ f: Fixture) -> Image { image(height: f.image.height, width: f.image.width) }

    static func image(height h: Int, width w: Int) -> Image {
        var px = [UInt8](repeating: 0, count: h * w * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256) } } }
        return Image(width: w, height: h, pixels: px)
    }

    /// Worst |ours − torchvision| / scale over the record's samples; fails above 1e-4. Checks shape and sums too.
    @discardableResult
    func compare(_ t: Tensor, _ r: Record, _ label: String, file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(t.shape, r.shape, label, file: file, line: line)
        guard t.shape == r.shape else { return .infinity }
        let v = t.buffer
        var worst: Float = 0
        for (j, e) in r.samples.enumerated() {
            worst = max(worst, abs(v[j * r.step] - e) / max(r.scale, 1e-12))
        }
        let sum = v.reduce(0.0) { $0 + Double($1) }
        XCTAssertEqual(sum, r.sum, accuracy: 1e-4 * r.abs_sum, "\(label) sum", file: file, line: line)
        XCTAssertLessThanOrEqual(worst, 1e-4, "\(label): worst sampled difference / scale", file: file, line: line)
        return worst
    }

    func boxes(_ f: [Float]) -> [Box] { stride(from: 0, to: f.count, by: 4).map { Box(x1: f[$0], y1: f[$0 + 1], x2: f[$0 + 2], y2: f[$0 + 3]) } }

    func compare(_ mine: [Detection], _ ref: Dets, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(mine.count, ref.scores.count, "\(label) count", file: file, line: line)
        XCTAssertGreaterThan(ref.scores.count, 0, "\(label): the fixture must hold real detections", file: file, line: line)
        let rb = boxes(ref.boxes)
        for (i, d) in mine.prefix(ref.scores.count).enumerated() {
            XCTAssertEqual(d.classID, ref.labels[i], "\(label) #\(i) label", file: file, line: line)
            XCTAssertEqual(d.score, ref.scores[i], accuracy: 1e-4 * ref.scores[i], "\(label) #\(i) score", file: file, line: line)
            for (a, b) in zip(d.box.corners, rb[i].corners) {
                XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(label) #\(i) box", file: file, line: line)
            }
        }
    }

    /// Proposals equal torchvision's in order, box by box (1e-4 of the box's largest coordinate), except where two
    /// scores are within 1e-5 (the objectness tolerance through the sigmoid: their order is decided by the last bits
    /// of the logits, in torchvision too); such a proposal must be found within ±4 places. Returns the worst box
    /// difference and the number of swaps.
    func compareProposals(_ mine: [Box], _ myScores: [Float], _ ref: [Box], _ refScores: [Float],
                          file: StaticString = #filePath, line: UInt = #line) -> (Float, Int) {
        XCTAssertEqual(mine.count, ref.count, "proposal count", file: file, line: line)
        // Relative to the box's largest coordinate (a clipped corner at 0.69 px still carries the error of ~100 px).
        func diff(_ a: Box, _ b: Box) -> Float { zip(a.corners, b.corners).map { abs($0 - $1) }.max()! / max(1, b.corners.map(abs).max()!) }
        var worst: Float = 0, swaps = 0
        for i in 0..<min(mine.count, ref.count) {
            XCTAssertEqual(myScores[i], refScores[i], accuracy: 1e-5, "proposal \(i) score", file: file, line: line)
            let d = diff(mine[i], ref[i])
            if d <= 1e-4 { worst = max(worst, d); continue }
            let window = max(0, i - 4)...min(mine.count - 1, i + 4)
            let j = window.first { diff(mine[$0], ref[i]) <= 1e-4 && abs(myScores[$0] - refScores[i]) <= 1e-5 }
            XCTAssertNotNil(j, "proposal \(i) \(ref[i].corners) (score \(refScores[i])) not among ours near \(i): "
                            + window.map { "\($0): \(mine[$0].corners) \(myScores[$0]) IoU \(mine[$0].iou(ref[i]))" }.joined(separator: "; "),
                            file: file, line: line)
            swaps += 1
        }
        return (worst, swaps)
    }

    func testCheckpointLoadsStrictlyAndIsTheFixturesOne() throws {
        let f = try Self.fixture()
        _ = try Self.model()
        let sd = try TorchPickle.loadStateDict(contentsOf: Self.checkpoint)
        for (k, expected) in f.checksums {
            let s = try sd.tensor(k).toArray().reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(s, expected, accuracy: 1e-6 * max(1, abs(expected)),
                           "\(k): the checkpoint differs from the one the fixture was made with (re-run scripts/make_torchvision_fixtures.py)")
        }
        XCTAssertFalse(sd.names.contains { $0.hasSuffix("num_batches_tracked") }, "FrozenBatchNorm2d layout, as torchvision's checkpoints")
    }

    /// Every stage against torchvision: transform, FPN levels, RPN head, proposals (set and order), and — fed the
    /// reference proposals — RoI features, logits, deltas and detections; then the whole pipeline end to end.
    func testEveryStageMatchesTorchvision() throws {
        try checkEveryStage(try Self.model(), try Self.fixture(), "Faster R-CNN R50-FPN", file: "fasterrcnn_resnet50_fpn_random.pth")
    }

    func testMobileNetV3LargeFPNMatchesTorchvision() throws {
        let net = try Self.model("fasterrcnn_mobilenet_v3_large_fpn_random.pth", .mobileNetV3LargeFPN, only: "mobilenet")
        try checkEveryStage(net, try Self.fixture("faster_rcnn_mobilenet_v3_large_fpn"), "Faster R-CNN MobileNetV3-Large-FPN",
                            file: "fasterrcnn_mobilenet_v3_large_fpn_random.pth")
    }

    func testMobileNetV3Large320FPNMatchesTorchvision() throws {
        let net = try Self.model("fasterrcnn_mobilenet_v3_large_fpn_random.pth", .mobileNetV3Large320FPN, only: "mobilenet")
        XCTAssertEqual([net.rpn.preNMSTopN, net.rpn.postNMSTopN], [150, 150])
        XCTAssertEqual(net.rpn.scoreThreshold, 0.05)
        try checkEveryStage(net, try Self.fixture("faster_rcnn_mobilenet_v3_large_320_fpn"), "Faster R-CNN MobileNetV3-Large-320-FPN",
                            file: "fasterrcnn_mobilenet_v3_large_fpn_random.pth")
    }

    func testResNet50FPNv2MatchesTorchvision() throws {
        let net = try Self.model("fasterrcnn_resnet50_fpn_v2_random.pth", .resnet50FPNv2, only: "v2")
        try checkEveryStage(net, try Self.fixture("faster_rcnn_r50_fpn_v2"), "Faster R-CNN R50-FPN v2", file: "fasterrcnn_resnet50_fpn_v2_random.pth")
    }

    /// MobileNetV3-Large's declared outputs are torchvision's (`_mobilenet_extractor`: features 13 and 16, both at
    /// stride 32) and its SE widths `_make_divisible(expanded // 4, 8)`.
    func testMobileNetV3LayoutIsTorchvisions() {
        XCTAssertEqual(MobileNetV3.fpnReturnLayers, [13, 16])
        XCTAssertEqual(MobileNetV3.large.filter(\.squeezeExcite).map(\.squeezeChannels), [24, 32, 32, 120, 168, 168, 240, 240])
        XCTAssertEqual(FasterRCNN.Architecture.mobileNetV3LargeFPN.anchorGenerator.anchorsPerLocation, [15, 15, 15])
        XCTAssertEqual(FasterRCNN.Architecture.mobileNetV3Large320FPN.transform, GeneralizedRCNNTransform(minSize: 320, maxSize: 640))
    }

    /// Every stage against torchvision (see `testEveryStageMatchesTorchvision`) for the model of checkpoint `file`.
    func checkEveryStage(_ net: FasterRCNN, _ f: Fixture, _ title: String, file: String) throws {
        let sd = try TorchPickle.loadStateDict(contentsOf: TestData.packageRoot.appendingPathComponent("weights/torchvision-random/\(file)"))
        for (k, expected) in f.checksums {
            let s = try sd.tensor(k).toArray().reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(s, expected, accuracy: 1e-5 * max(1, abs(expected)), "\(k): not the fixture's checkpoint (re-run the generator)")
        }
        let img = Self.image(f)
        let x = Tensor(zeros: net.transform.tensorShape(height: img.height, width: img.width))
        let r = net.transform.apply(img, into: x)
        XCTAssertEqual([r.height, r.width], f.transform.image_size)
        compare(x, f.transform.tensor, "transform")

        let s = try net.forward(x, imageHeight: r.height, imageWidth: r.width)
        var report: [String] = []
        XCTAssertEqual(Set(net.fpn.outputs.map(\.name)), Set(f.features.keys))
        for (i, spec) in net.fpn.outputs.enumerated() {
            let name = spec.name, rec = try XCTUnwrap(f.features[name])
            report.append("fpn \(name) \(compare(s.features[i], rec, "fpn \(name)"))")
        }
        XCTAssertEqual(s.objectness.count, f.rpn_head.objectness.count)
        for l in 0..<f.rpn_head.objectness.count {
            report.append("objectness \(l) \(compare(s.objectness[l], f.rpn_head.objectness[l], "objectness \(l)"))")
            report.append("rpn deltas \(l) \(compare(s.rpnDeltas[l], f.rpn_head.deltas[l], "rpn deltas \(l)"))")
        }
        let ref = boxes(f.proposals)
        let (worstBox, swaps) = compareProposals(s.proposals, s.proposalScores, ref, f.proposal_scores)
        report.append("proposals \(worstBox) (\(swaps) near-tie order swaps)")

        let b = try net.forward(x, imageHeight: r.height, imageWidth: r.width, proposals: ref)
        report.append("roi \(compare(b.roiFeatures, f.roi_features, "roi features"))")
        report.append("logits \(compare(b.classLogits, f.class_logits, "class logits"))")
        report.append("deltas \(compare(b.boxDeltas, f.box_regression, "box deltas"))")
        compare(b.detections, f.detections_input_pixels, "detections (reference proposals)")
        compare(s.detections, f.detections_input_pixels, "detections (own proposals)")
        compare(try net.detect(img), f.detections, "detections in image pixels")
        print("\(title) worst |ours − torchvision| / scale per stage: " + report.joined(separator: ", "))
    }

    /// A missing tensor, a tensor of the wrong shape and a tensor the model does not use are each refused with
    /// the key named (strict loading).
    func testStrictLoadingNamesTheKey() throws {
        _ = try Self.model()   // skips when the checkpoint is absent
        let sd = try TorchPickle.loadStateDict(contentsOf: Self.checkpoint)
        func variant(_ edit: (String, Tensor) -> (String, Tensor)?, extra: (String, Tensor)? = nil) throws -> TorchStateDict {
            var out = TorchStateDict(file: "edited.pth")
            for n in sd.names { if let (k, t) = edit(n, try sd.tensor(n)) { out.append(k, t) } }
            if let extra { out.append(extra.0, extra.1) }
            return out
        }
        let missing = try variant { n, t in n == "backbone.body.layer3.4.bn2.running_var" ? nil : (n, t) }
        XCTAssertThrowsError(try FasterRCNN(stateDict: missing)) { e in
            XCTAssertTrue("\(e)".contains("missing tensor backbone.body.layer3.4.bn2.running_var"), "\(e)")
        }
        let reshaped = try variant { n, t in n == "backbone.fpn.inner_blocks.2.0.weight" ? (n, Tensor(zeros: [256, 1024, 1, 2])) : (n, t) }
        XCTAssertThrowsError(try FasterRCNN(stateDict: reshaped)) { e in
            XCTAssertTrue("\(e)".contains("backbone.fpn.inner_blocks.2.0.weight") && "\(e)".contains("[256, 1024, 1, 1]"), "\(e)")
        }
        let extra = try variant({ n, t in (n, t) }, extra: ("roi_heads.mask_head.weight", Tensor(zeros: [2])))
        XCTAssertThrowsError(try FasterRCNN(stateDict: extra)) { e in
            XCTAssertTrue("\(e)".contains("not used") && "\(e)".contains("roi_heads.mask_head.weight"), "\(e)")
        }
        // A DataParallel checkpoint ("module." prefixes) and an old-torchvision RPN conv key both load.
        let renamed = try variant { n, t in (n == "rpn.head.conv.0.0.weight" ? "module.rpn.head.conv.weight" : n == "rpn.head.conv.0.0.bias" ? "rpn.head.conv.bias" : "module." + n, t) }
        XCTAssertNoThrow(try FasterRCNN(stateDict: renamed))
    }

    func testWrongCheckpointIsRefusedWithTheKey() throws {
        let url = TestData.fixture("torch/fpn_zip.pth")
        XCTAssertThrowsError(try FasterRCNN(checkpoint: url)) { e in
            XCTAssertTrue("\(e)".contains("roi_heads.box_predictor.cls_score.weight"), "\(e)")
        }
    }
}
