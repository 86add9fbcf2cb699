import Foundation
import XCTest
import ZooDetect
import ZooTestSupport
@testable import ZooModels
@testable import ZooNN

/// DETR transformer + heads + post-processing against HF transformers 5.23 `DetrForObjectDetection` on seeded random
/// weights (scripts/make_detr_fixtures.py). The backbone is not part of this test: the HF backbone's C5 map (and its
/// downsampled pixel mask) from the fixture feed the input projection, so every later stage is compared.
///
/// Tolerance: 1e-4 relative to each tensor's largest magnitude. The weights and the C5 map are float16-exact in both
/// runs, so the only differences are float32 summation order (OpenBLAS vs MKL-DNN/ATen GEMMs, the online vs
/// two-pass softmax) compounded over 12 post-norm layers: ≈ 1e-6 per layer; 1e-4 leaves room and still catches any
/// wrong bias, mask, position term or LayerNorm (each moves outputs by ≥ 1e-2 on these weights).
final class DETRTests: XCTestCase {
    static let tiny = DETRTransformer.Config(dModel: 64, heads: 8, ffnDim: 128)

    static var card: ModelCard {
        ModelCard(name: "detr-tiny-random", family: "detr", task: .detection,
                  input: ModelInput(width: 480, height: 320, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: .stretch),
                  classes: 91, folder: "detr-tiny", files: [], source: .user(note: "test fixture"), licence: "test", accuracy: "")
    }

    private func assertRelClose(_ a: Tensor, _ b: Tensor, _ rel: Float = 1e-4, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "\(what): element count", file: file, line: line)
        guard a.count == b.count else { return }
        let scale = max(b.buffer.reduce(0) { max($0, abs($1)) }, 1e-6)
        var worst: Float = 0, at = 0
        for i in 0..<a.count where !(abs(a.pointer[i] - b.pointer[i]) <= worst) { worst = abs(a.pointer[i] - b.pointer[i]); at = i }
        print("DETR parity \(what): max |diff| / scale = \(worst / scale)")
        XCTAssertLessThanOrEqual(worst / scale, rel, "\(what): max |diff| \(worst) at \(at) (\(a.pointer[at]) vs \(b.pointer[at])), scale \(scale)",
                                 file: file, line: line)
    }

    func testTransformerHeadsAndPostprocessMatchTransformers() throws {
        try parity(folder: TestData.fixture("detr"), name: "detr_tiny", config: Self.tiny, channels: 512)
    }

    /// The standard detr-resnet50 configuration (d_model 256, FFN 2048, 2048-channel C5), whole random checkpoint
    /// (166 MB, git-ignored): `python scripts/make_detr_fixtures.py --full` writes it to weights/detr-random/.
    func testFullSizeRandomCheckpointWhenPresent() throws {
        let folder = TestData.packageRoot.appendingPathComponent("weights/detr-random")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("detr_resnet50_random.safetensors").path) else {
            throw XCTSkip("weights/detr-random/ absent: run `python scripts/make_detr_fixtures.py --full` to check the full-size configuration")
        }
        try parity(folder: folder, name: "detr_resnet50_random", config: .detr, channels: 2048)
    }

    private func parity(folder: URL, name: String, config: DETRTransformer.Config, channels: Int) throws {
        let golden = try SafeTensors(contentsOf: folder.appendingPathComponent("\(name)_golden.safetensors"))
        let w = try DETRCheckpoint(safetensors: folder.appendingPathComponent("\(name).safetensors"))
        let names = (0..<91).map { "class\($0)" }
        let model = try DETR.load(w, card: Self.card, config: config, backboneChannels: channels, classNames: names, backbone: nil,
                                  leavingBackboneKeys: true)

        // The pixel mask of the padded batch (image 1 valid in its top-left 256 × 352) downsampled as HF does.
        let imageHW = try JSONDecoder().decode([Int].self, from: Data(golden.metadata["image_hw", default: ""].utf8))
        let valid = try JSONDecoder().decode([[Int]].self, from: Data(golden.metadata["valid_hw", default: ""].utf8))
        let (ih, iw) = (imageHW[0], imageHW[1])
        var pixelMask = [UInt8](repeating: 0, count: valid.count * ih * iw)
        for (b, v) in valid.enumerated() { for y in 0..<v[0] { for x in 0..<v[1] { pixelMask[(b * ih + y) * iw + x] = 1 } } }
        let features = try golden.tensor("features")
        let (fh, fw) = (features.shape[2], features.shape[3])
        let mask = DETR.featureMask(pixelMask, batch: valid.count, height: ih, width: iw, featureHeight: fh, featureWidth: fw)
        XCTAssertEqual(mask.map(Float.init), try golden.tensor("feature_mask").toArray(), "feature mask")
        XCTAssertTrue(mask.contains(0), "the fixture must exercise key padding")

        let out = model.forward(features: features, validMask: mask)
        assertRelClose(out.transformer.position, try golden.tensor("spatial_position_embeddings"), 1e-5, "position embeddings")
        assertRelClose(out.transformer.memory, try golden.tensor("encoder_last_hidden_state"), 1e-4, "encoder memory")
        // HF decoder_hidden_states: [input, layer 1 … layer 5 outputs, final (after the decoder LayerNorm)].
        for i in 1..<6 {
            assertRelClose(out.transformer.decoderLayers[i - 1], try golden.tensor("decoder_hidden_states.\(i)"), 1e-4, "decoder layer \(i)")
        }
        assertRelClose(out.transformer.hidden, try golden.tensor("last_hidden_state"), 1e-4, "decoder output")
        assertRelClose(out.logits, try golden.tensor("logits"), 1e-4, "logits")
        assertRelClose(out.boxes, try golden.tensor("pred_boxes"), 1e-4, "pred_boxes")

        // post_process_object_detection(threshold 0.5, target_sizes) — the detections, in query order.
        struct Golden: Decodable {
            struct Image: Decodable { var scores: [Float]; var labels: [Int]; var boxes: [[Float]] }
            var threshold: Float; var target_sizes: [[Int]]; var detections: [Image]
        }
        let g = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: folder.appendingPathComponent("\(name)_detections.json")))
        XCTAssertEqual(model.postprocessing, .none)
        var total = 0
        for (item, expected) in g.detections.enumerated() {
            var collector = CandidateCollector(confidence: g.threshold, limit: 1000)
            model.head.decode(logits: out.logits, boxes: out.boxes, item: item, width: Float(g.target_sizes[item][1]),
                              height: Float(g.target_sizes[item][0]), into: &collector)
            let got = collector.detectionsInOfferOrder()
            // A score within 1e-5 of the threshold may fall on either side (float32 rounding); none is that close here.
            XCTAssertEqual(got.count, expected.scores.count, "image \(item): detection count")
            total += got.count
            for (d, i) in zip(got, expected.scores.indices) {
                XCTAssertEqual(d.classID, expected.labels[i], "image \(item) detection \(i) label")
                XCTAssertEqual(d.score, expected.scores[i], accuracy: 1e-5, "image \(item) detection \(i) score")
                let e = expected.boxes[i], scale = Float(max(g.target_sizes[item][0], g.target_sizes[item][1]))
                for (a, b) in zip([d.box.x1, d.box.y1, d.box.x2, d.box.y2], e) {
                    XCTAssertEqual(a, b, accuracy: 1e-4 * scale, "image \(item) detection \(i) box")
                }
            }
        }
        XCTAssertGreaterThan(total, 0, "the fixture's class-head scale must let detections through")

        // A second pass at the same shape reuses every buffer and grows no scratch.
        let slots = model.arenaSlotCountForTests, scratch = model.workspaceCapacityForTests
        _ = model.forward(features: features, validMask: mask)
        XCTAssertEqual(model.arenaSlotCountForTests, slots)
        XCTAssertEqual(model.workspaceCapacityForTests, scratch)
    }

    func testStrictLoading() throws {
        let url = TestData.fixture("detr/detr_tiny.safetensors")
        let st = try SafeTensors(contentsOf: url)
        var all: [String: Tensor] = [:]
        for n in st.names { all[n] = try st.tensor(n) }
        let names = (0..<91).map { "class\($0)" }
        func load(_ t: [String: Tensor]) throws { _ = try DETR.load(try DETRCheckpoint(tensors: t, file: "x.safetensors"), card: Self.card,
                                                                      config: Self.tiny, backboneChannels: 512, classNames: names, backbone: nil) }
        XCTAssertNoThrow(try load(all))
        var missing = all; missing["model.decoder.layers.3.fc1.bias"] = nil
        XCTAssertThrowsError(try load(missing)) { XCTAssertTrue("\($0)".contains("missing key 'model.decoder.layers.3.fc1.bias'"), "\($0)") }
        var extra = all; extra["model.decoder.layers.9.fc1.bias"] = Tensor(zeros: [128])
        XCTAssertThrowsError(try load(extra)) { XCTAssertTrue("\($0)".contains("unused key(s), first 'model.decoder.layers.9.fc1.bias'"), "\($0)") }
        var wrong = all; wrong["class_labels_classifier.weight"] = Tensor(zeros: [81, 64])
        XCTAssertThrowsError(try load(wrong)) { XCTAssertTrue("\($0)".contains("'class_labels_classifier.weight' has shape [81, 64], expected [92, 64]"), "\($0)") }
        // transformers 5.x module names (o_proj, layers.N.mlp.fc1) load the same.
        var modern: [String: Tensor] = [:]
        for (k, v) in all {
            modern[k.replacingOccurrences(of: ".out_proj.", with: ".o_proj.").replacingOccurrences(of: ".fc1.", with: ".mlp.fc1.")
                .replacingOccurrences(of: ".fc2.", with: ".mlp.fc2.")] = v
        }
        XCTAssertNoThrow(try load(modern))
        var nan = all; let bad = all["model.encoder.layers.0.fc2.bias"]!.copy(); bad.pointer[5] = .nan; nan["model.encoder.layers.0.fc2.bias"] = bad
        XCTAssertThrowsError(try load(nan)) { XCTAssertTrue("\($0)".contains("model.encoder.layers.0.fc2.bias"), "\($0)") }
    }

    /// The original facebookresearch/detr layout (`detr-r50-e632da11.pth` names: `transformer.encoder.layers.N.self_attn.in_proj_weight`,
    /// `linear1`, `norm1…3`, `query_embed`, `class_embed`, `bbox_embed`): the fixture's weights re-keyed and packed as DETR's
    /// `models/transformer.py` names them load to the same model (no real .pth can be fetched here: this checks the mapping).
    func testOriginalDETRLayoutLoadsTheSameModel() throws {
        let st = try SafeTensors(contentsOf: TestData.fixture("detr/detr_tiny.safetensors"))
        var original: [String: Tensor] = [:]
        var packs: [String: [String: Tensor]] = [:]
        for n in st.names {
            var k = n
            let rules: [(String, String)] = [
                ("model.input_projection.", "input_proj."), ("model.query_position_embeddings.", "query_embed."),
                ("model.decoder.layernorm.", "transformer.decoder.norm."), ("model.encoder.layers.", "transformer.encoder.layers."),
                ("model.decoder.layers.", "transformer.decoder.layers."), (".encoder_attn.", ".multihead_attn."), (".fc1.", ".linear1."),
                (".fc2.", ".linear2."), ("class_labels_classifier.", "class_embed."), ("bbox_predictor.", "bbox_embed."),
            ]
            for (a, b) in rules { k = k.replacingOccurrences(of: a, with: b) }
            let isDecoder = k.contains("decoder.layers.")
            k = k.replacingOccurrences(of: ".self_attn_layer_norm.", with: ".norm1.")
                .replacingOccurrences(of: ".encoder_attn_layer_norm.", with: ".norm2.")
                .replacingOccurrences(of: ".final_layer_norm.", with: isDecoder ? ".norm3." : ".norm2.")
            if let r = k.range(of: #"\.(q|k|v)_proj\.(weight|bias)$"#, options: .regularExpression) {
                let which = String(k[r].dropFirst().prefix(1)), kind = k.hasSuffix("weight") ? "weight" : "bias"
                packs[String(k[..<r.lowerBound]) + ".in_proj_\(kind)", default: [:]][which] = try st.tensor(n)
                continue
            }
            original[k] = try st.tensor(n)
        }
        for (key, parts) in packs {
            let q = parts["q"]!, k = parts["k"]!, v = parts["v"]!
            let packed = Tensor(zeros: [3 * q.shape[0]] + q.shape.dropFirst())
            for (i, t) in [q, k, v].enumerated() { (packed.pointer + i * t.count).update(from: t.pointer, count: t.count) }
            original[key] = packed
        }
        XCTAssertNotNil(original["transformer.encoder.layers.0.self_attn.in_proj_weight"])
        XCTAssertNotNil(original["transformer.decoder.layers.5.norm3.bias"])
        let names = (0..<91).map { "class\($0)" }
        let a = try DETR.load(try DETRCheckpoint(originalDETR: original, file: "detr-original.pth"), card: Self.card, config: Self.tiny,
                              backboneChannels: 512, classNames: names, backbone: nil)
        let golden = try SafeTensors(contentsOf: TestData.fixture("detr/detr_tiny_golden.safetensors"))
        let out = a.forward(features: try golden.tensor("features"))
        let b = try DETR.load(try DETRCheckpoint(safetensors: TestData.fixture("detr/detr_tiny.safetensors")), card: Self.card,
                              config: Self.tiny, backboneChannels: 512, classNames: names, backbone: nil)
        let ref = b.forward(features: try golden.tensor("features"))
        XCTAssertEqual(out.logits.toArray(), ref.logits.toArray())
        XCTAssertEqual(out.boxes.toArray(), ref.boxes.toArray())
    }

    /// The detector's own path (`candidates`: backbone → transformer → head → decode in input pixels) with a test
    /// backbone that hands over image 0's C5 map from the fixture (the torchvision ResNet is not part of this branch):
    /// image 0 is unpadded, so batch 1 without a mask must give HF's detections of image 0, scaled from its target size
    /// (480 × 720) to the 320 × 480 input.
    func testCandidatesThroughABackbone() throws {
        final class FixtureC5: Backbone {
            let map: Tensor
            init(_ m: Tensor) { map = m }
            var outputs: [FeatureMapSpec] { [FeatureMapSpec(name: "layer4", channels: 512, stride: 32)] }
            func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> [Tensor] {
                precondition(x.shape == [1, 3, 320, 480])
                return [map]
            }
        }
        let golden = try SafeTensors(contentsOf: TestData.fixture("detr/detr_tiny_golden.safetensors"))
        let all = try golden.tensor("features")
        let one = Tensor(zeros: [1] + all.shape.dropFirst())
        one.pointer.update(from: all.pointer, count: one.count)
        let names = (0..<91).map { "class\($0)" }
        let model = try DETR.load(try DETRCheckpoint(safetensors: TestData.fixture("detr/detr_tiny.safetensors")), card: Self.card,
                                  config: Self.tiny, backboneChannels: 512, classNames: names, backbone: FixtureC5(one))
        var collector = CandidateCollector(confidence: 0.5, limit: 1000)
        try model.candidates(Tensor(zeros: [1, 3, 320, 480]), into: &collector)
        let got = collector.detectionsInOfferOrder()
        struct Golden: Decodable { struct Image: Decodable { var scores: [Float]; var labels: [Int]; var boxes: [[Float]] }; var detections: [Image] }
        let e = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: TestData.fixture("detr/detr_tiny_detections.json"))).detections[0]
        XCTAssertEqual(got.count, e.scores.count)
        for (d, i) in zip(got, e.scores.indices) {
            XCTAssertEqual(d.classID, e.labels[i]); XCTAssertEqual(d.score, e.scores[i], accuracy: 1e-5)
            for (a, b) in zip([d.box.x1, d.box.y1, d.box.x2, d.box.y2], e.boxes[i]) { XCTAssertEqual(a, b * 2 / 3, accuracy: 0.05) }
        }
        XCTAssertEqual(model.postprocessing, .none)
    }
}
