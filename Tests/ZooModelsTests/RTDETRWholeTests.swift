import Foundation
import XCTest
import ZooDetect
import ZooTestSupport
@testable import ZooModels
@testable import ZooNN

/// Whole RT-DETR (ResNet-vd → hybrid encoder → query selection → deformable decoder → post-processing) against HF
/// transformers 5.23 `RTDetrForObjectDetection` on a seeded random checkpoint of the published R18-vd architecture
/// (scripts/make_rtdetr_checkpoint.py writes it under weights/rtdetr-random/, never committed; the committed
/// Tests/Fixtures/detr/rtdetr_r18vd_whole.json holds sampled records of every stage, the selected query indices and
/// the detections in full).
///
/// Batch 1, 384 × 448 synthetic input (RGB / 255, no normalisation, as `RTDetrImageProcessor`). Tolerance
/// (`tolerance`): every sampled element within 1e-4 of the stage's largest sampled magnitude, sums within 1e-4 of
/// Σ|x|. The selected query set must equal HF's (the fixture's selection margin, the gap between the 300th and 301st
/// encoder score, is 4.4e-3 on scores ≈ 8); per-query records are compared through that selection (query `q` of the
/// fixture is ours with the same encoder cell), so two near-equal scores ranked the other way do not fail the test.
/// Detections identical: count, labels and order; scores within the tolerance (the closest is 4.3e-3 from the 0.5
/// threshold), boxes within 1e-4 of the image width.
final class RTDETRWholeTests: XCTestCase {
    struct Record: Decodable {
        var shape: [Int]; var sum: Double; var abs_sum: Double; var step: Int; var samples: [Float]
        var scale: Float { samples.reduce(0) { max($0, abs($1)) } }
    }
    struct Fixture: Decodable {
        struct ImageSpec: Decodable { var height: Int; var width: Int }
        struct Dets: Decodable { var scores: [Float]; var labels: [Int]; var boxes: [Float] }
        var tag: String; var image: ImageSpec; var threshold: Float; var checksums: [String: Double]
        var features: [Record]; var encoder: [Record]; var query_indices: [Int]; var selection_margin: Double
        var init_reference_points: Record; var deformable_attention: [Record]; var decoder_hidden_states: [Record]
        var reference_points: [Record]; var logits: Record; var pred_boxes: Record; var detections: Dets
    }

    static let folder = TestData.packageRoot.appendingPathComponent("weights/rtdetr-random")
    static let tolerance: Float = 1e-4

    static func card(_ name: String) -> ModelCard {
        var c = try! ModelZoo.entry(named: "rtdetr-r18vd").card
        c.name = name
        return c
    }

    /// pixel_values[c, y, x] = ((3x + 5y + 70c + (x·y) % 31) % 256) / 255, as the script.
    static func input(height h: Int, width w: Int) -> Tensor {
        let t = Tensor(zeros: [1, 3, h, w])
        for c in 0..<3 { for y in 0..<h { for x in 0..<w {
            t.pointer[(c * h + y) * w + x] = Float((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256) / 255
        } } }
        return t
    }

    /// Compares `t` to `r`; with `rows` (fixture query → our query), a `1, Q, k` tensor is read through that mapping.
    @discardableResult
    func compare(_ t: Tensor, _ r: Record, _ label: String, rows: [Int]? = nil, file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(t.shape, r.shape, label, file: file, line: line)
        guard t.shape == r.shape else { return .infinity }
        let k = t.shape.last!
        var worst: Float = 0
        for (j, e) in r.samples.enumerated() {
            var i = j * r.step
            if let rows { i = rows[i / k] * k + i % k }
            worst = max(worst, abs(t.pointer[i] - e) / max(r.scale, 1e-12))
        }
        let sum = t.buffer.reduce(0.0) { $0 + Double($1) }
        XCTAssertEqual(sum, r.sum, accuracy: 1e-4 * r.abs_sum, "\(label) sum", file: file, line: line)
        XCTAssertLessThanOrEqual(worst, Self.tolerance, "\(label): worst sampled |diff| / max |x|", file: file, line: line)
        print("RT-DETR whole parity \(label): worst sampled |diff| / max |x| = \(worst)")
        return worst
    }

    func checkpoint(_ tag: String) throws -> (URL, Fixture) {
        let main = Self.folder.appendingPathComponent("rtdetr_\(tag)_random.safetensors")
        let fixtureURL = TestData.fixture("detr/rtdetr_\(tag)_whole.json")
        guard FileManager.default.fileExists(atPath: main.path), FileManager.default.fileExists(atPath: fixtureURL.path) else {
            throw XCTSkip("weights/rtdetr-random/rtdetr_\(tag)_random.safetensors or its fixture absent: generate it with "
                          + "~/.cache/vz-ref-venv/bin/python scripts/make_rtdetr_checkpoint.py\(tag == "r50vd" ? " --r50" : "") --checkpoint-only")
        }
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtureURL))
        let st = try SafeTensors(contentsOf: main)
        for (k, want) in f.checksums {
            let sum = try st.tensor(k).toArray().reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sum, want, accuracy: 1e-6 * max(1, abs(want)), "checkpoint \(k): regenerate it with the script")
        }
        return (main, f)
    }

    func testWholeRTDETRR18MatchesTransformers() throws { try whole(tag: "r18vd") }

    /// `python scripts/make_rtdetr_checkpoint.py --r50` (bottleneck ResNet-50-vd, 6 decoder layers).
    func testWholeRTDETRR50MatchesTransformersWhenPresent() throws { try whole(tag: "r50vd") }

    private func whole(tag: String) throws {
        let (main, f) = try checkpoint(tag)
        let model = try RTDETR.load(checkpoint: main, card: Self.card("rtdetr-\(tag)-random"))
        XCTAssertEqual(model.backbone.depths, tag == "r50vd" ? [3, 4, 6, 3] : [2, 2, 2, 2])
        XCTAssertEqual(model.classNames, COCOClassNames.names)
        let x = Self.input(height: f.image.height, width: f.image.width)
        let s = try model.forward(x)
        for (i, r) in f.features.enumerated() { compare(s.features[i], r, "backbone stage \(i + 2)") }
        for (i, r) in f.encoder.enumerated() { compare(s.encoder[i], r, "hybrid encoder level \(i)") }

        // Query selection: the same set of encoder cells; fixture query q ↔ our query with the same cell.
        let ours = s.decoder.queryIndices
        XCTAssertEqual(Set(ours), Set(f.query_indices), "selected query cells")
        XCTAssertEqual(ours.count, f.query_indices.count)
        let position = Dictionary(uniqueKeysWithValues: ours.enumerated().map { ($1, $0) })
        let rows = f.query_indices.map { position[$0] ?? 0 }
        let agree = zip(ours, f.query_indices).filter { $0 == $1 }.count
        print("RT-DETR whole parity: \(agree) of \(ours.count) selected queries in HF's order")
        compare(s.decoder.initReferencePoints, f.init_reference_points, "init reference points", rows: rows)
        XCTAssertEqual(s.decoder.hidden.count, f.decoder_hidden_states.count, "decoder layers")
        for i in 0..<min(s.decoder.hidden.count, f.decoder_hidden_states.count) {
            compare(s.decoder.crossAttention[i], f.deformable_attention[i], "decoder layer \(i + 1) deformable attention", rows: rows)
            compare(s.decoder.hidden[i], f.decoder_hidden_states[i], "decoder layer \(i + 1)", rows: rows)
            compare(s.decoder.referencePoints[i], f.reference_points[i], "decoder layer \(i + 1) reference points", rows: rows)
        }
        compare(s.logits, f.logits, "logits", rows: rows)
        compare(s.boxes, f.pred_boxes, "pred_boxes", rows: rows)

        // post_process_object_detection(threshold 0.5, target_sizes [(H, W)]): top-300 order.
        var collector = CandidateCollector(confidence: f.threshold, limit: 1000)
        RTDETR.decode(logits: s.logits, boxes: s.boxes, width: Float(f.image.width), height: Float(f.image.height), into: &collector)
        let got = collector.detectionsInOfferOrder()
        XCTAssertEqual(got.count, f.detections.scores.count, "detection count")
        XCTAssertGreaterThan(got.count, 0, "the fixture must hold detections")
        for (i, d) in got.prefix(f.detections.scores.count).enumerated() {
            XCTAssertEqual(d.classID, f.detections.labels[i], "detection \(i) label")
            XCTAssertEqual(d.score, f.detections.scores[i], accuracy: Self.tolerance, "detection \(i) score")
            for (a, b) in zip([d.box.x1, d.box.y1, d.box.x2, d.box.y2], f.detections.boxes[(4 * i)..<(4 * i + 4)]) {
                XCTAssertEqual(a, b, accuracy: 1e-4 * Float(f.image.width), "detection \(i) box")
            }
        }
        // The pipeline path gives the same detections.
        var viaCandidates = CandidateCollector(confidence: f.threshold, limit: 1000)
        try model.candidates(x, into: &viaCandidates)
        XCTAssertEqual(viaCandidates.detectionsInOfferOrder().map(\.classID), got.map(\.classID))

        // A second pass at the same shape reuses every buffer.
        let slots = model.arenaSlotCountForTests
        _ = try model.forward(x)
        XCTAssertEqual(model.arenaSlotCountForTests, slots)
    }

    /// transformers 5.x in-memory names (`torch.save(model.state_dict())`: `encoder.aifi.0`, `o_proj`, `mlp.fc1`) load
    /// to the same model: bit-identical outputs.
    func testInMemoryModuleNamesLoadIdentically() throws {
        let (main, f) = try checkpoint("r18vd")
        let st = try SafeTensors(contentsOf: main)
        var renamed: [String: Tensor] = [:]
        for n in st.names where !n.hasSuffix("num_batches_tracked") {   // I64 scalars: training state, not read
            var k = n.replacingOccurrences(of: "model.encoder.encoder.", with: "model.encoder.aifi.")
            k = k.replacingOccurrences(of: ".self_attn.out_proj.", with: ".self_attn.o_proj.")
            k = k.replacingOccurrences(of: #"(layers\.\d+)\.(fc\d)\."#, with: "$1.mlp.$2.", options: .regularExpression)
            renamed[k] = try st.tensor(n)
        }
        XCTAssertNotNil(renamed["model.encoder.aifi.0.layers.0.mlp.fc1.weight"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-rtdetr-names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("inmemory.safetensors")
        try SafeTensors.write(renamed, to: url)
        let x = Self.input(height: f.image.height, width: f.image.width)
        let a = try RTDETR.load(checkpoint: main, card: Self.card("a")), b = try RTDETR.load(checkpoint: url, card: Self.card("b"))
        let sa = try a.forward(x), la = sa.logits.toArray(), ba = sa.boxes.toArray()
        let sb = try b.forward(x)
        XCTAssertEqual(sb.logits.toArray(), la)
        XCTAssertEqual(sb.boxes.toArray(), ba)
    }

    /// Strict loading: a missing or an extra tensor, a NaN, or a file of another model is an error naming the file and key.
    func testCheckpointIsLoadedStrictly() throws {
        let (main, _) = try checkpoint("r18vd")
        let st = try SafeTensors(contentsOf: main)
        var all: [String: Tensor] = [:]
        for n in st.names where !n.hasSuffix("num_batches_tracked") { all[n] = try st.tensor(n) }
        XCTAssertNotNil(all["model.denoising_class_embed.weight"], "the training-only key is in the file and must be accepted")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-rtdetr-strict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func attempt(_ t: [String: Tensor], _ name: String) throws {
            let url = dir.appendingPathComponent(name)
            try SafeTensors.write(t, to: url)
            _ = try RTDETR.load(checkpoint: url, card: Self.card("strict"))
        }
        var missing = all; missing["model.decoder.layers.1.encoder_attn.value_proj.bias"] = nil
        XCTAssertThrowsError(try attempt(missing, "missing.safetensors")) {
            XCTAssertTrue("\($0)".contains("missing.safetensors") && "\($0)".contains("decoder.layers.1.encoder_attn.value_proj.bias"), "\($0)")
        }
        var extra = all; extra["model.decoder.extra_head.weight"] = Tensor(zeros: [4, 4])
        XCTAssertThrowsError(try attempt(extra, "extra.safetensors")) {
            XCTAssertTrue("\($0)".contains("extra.safetensors") && "\($0)".contains("extra_head"), "\($0)")
        }
        var nan = all
        let bad = all["model.enc_score_head.bias"]!.toArray()
        nan["model.enc_score_head.bias"] = Tensor(shape: [bad.count], data: (0..<bad.count).map { $0 == 3 ? Float.nan : bad[$0] })
        XCTAssertThrowsError(try attempt(nan, "nan.safetensors")) {
            XCTAssertTrue("\($0)".contains("nan.safetensors") && "\($0)".contains("enc_score_head.bias"), "\($0)")
        }
        XCTAssertThrowsError(try attempt(["model.backbone.conv1.weight": Tensor(zeros: [2, 3, 3, 3])], "other.safetensors")) {
            XCTAssertTrue("\($0)".contains("not an RT-DETR checkpoint"), "\($0)")
        }
    }

    func testZooCardsShowPublishedAccuracy() throws {
        let r18 = try ModelZoo.entry(named: "rtdetr-r18vd").card, r50 = try ModelZoo.entry(named: "rtdetr-r50vd").card
        XCTAssertTrue(r18.accuracy.contains("46.5") && r50.accuracy.contains("53.1"))
        XCTAssertEqual(r18.input.width, 640); XCTAssertEqual(r18.input.height, 640); XCTAssertEqual(r18.input.resize, .stretch)
        XCTAssertEqual(r18.input.mean, [0, 0, 0]); XCTAssertEqual(r18.input.std, [1, 1, 1])
    }
}
