import Foundation
import ZooDetect
import ZooNN

/// RT-DETR = `RTDetrResNet` (ResNet-vd, strides 8/16/32) → `RTDetrHybridEncoder` (AIFI + CCFF) → `RTDetrDecoder`
/// (query selection from the encoder, deformable-attention decoder with box refinement) → sigmoid scores, top-k
/// (Zhao et al. 2024, "DETRs Beat YOLOs on Real-time Object Detection"; port of HF transformers 5.23
/// `RTDetrForObjectDetection` and `RTDetrImageProcessor.post_process_object_detection`). Set prediction: no NMS.
///
/// Input `1, 3, H, W`, RGB / 255 without normalisation, 640 × 640 stretched as `RTDetrImageProcessor` resizes (H and
/// W multiples of 32); batch 1, no pixel mask (RT-DETR has none). Not thread-safe (the pipeline serialises calls).
public final class RTDETR: ObjectDetectionModel {
    public let card: ModelCard
    public let classNames: [String]
    public let backbone: RTDetrResNet
    public let encoder: RTDetrHybridEncoder
    public let decoder: RTDetrDecoder
    let arena = TensorArena()
    let workspace = Workspace()
    private var plannedShape: [Int]?

    public init(card: ModelCard, classNames: [String], backbone: RTDetrResNet, encoder: RTDetrHybridEncoder, decoder: RTDetrDecoder) {
        self.card = card; self.classNames = classNames; self.backbone = backbone; self.encoder = encoder; self.decoder = decoder
    }

    /// Ordered (pattern, replacement) rules from transformers 5.x in-memory module names (a `torch.save(state_dict)`)
    /// to the hub names `save_pretrained` writes (`model.encoder.encoder.0.layers.0.self_attn.out_proj.weight`).
    static let renames: [(String, String)] = [
        (#"^model\.encoder\.aifi\."#, "model.encoder.encoder."),
        (#"\.o_proj\."#, ".out_proj."),
        (#"(layers\.\d+)\.mlp\.(fc\d)\."#, "$1.$2."),
    ]

    /// Keys a checkpoint carries that inference does not use: the denoising label embedding (training only).
    static let trainingOnly = ["model.denoising_class_embed.weight"]

    /// Loads an HF `RTDetrForObjectDetection` `model.safetensors` strictly (every tensor used once, shapes checked,
    /// no NaN/Inf; BatchNorm's integer `num_batches_tracked` scalars and the denoising embedding are training state). Sizes follow the checkpoint (backbone depth and layer type, widths, decoder layers, classes, sampling
    /// points); not stored and taken from the published configs: 8 attention heads, 300 queries (unless
    /// `weight_embedding` gives them), SiLU in the fusion and GELU in AIFI. 80 labels are COCO's 80 classes in order
    /// (`id2label` of the PekingU checkpoints); otherwise `classNames` must name every label (nil: `label0`, …).
    public static func load(checkpoint url: URL, card: ModelCard, classNames names: [String]? = nil) throws -> RTDETR {
        let file = url.lastPathComponent
        let st = try SafeTensors(contentsOf: url)
        var named: [(name: String, tensor: Tensor)] = []
        var seen = Set<String>()
        for name in st.names {
            var key = name
            for (pattern, replacement) in renames { key = key.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression) }
            guard seen.insert(key).inserted else { throw DETRWeightsError("\(file): '\(name)' and another key both name '\(key)'") }
            // BatchNorm's step counter (I64, a scalar): training state, not read by inference.
            if key.hasSuffix(".num_batches_tracked"), let e = st.entries[name], e.shape.isEmpty, e.dtype.hasPrefix("I") || e.dtype.hasPrefix("U") { continue }
            let t = try st.tensor(name)
            if let p = WeightLimits.nonFiniteProblem(t.pointer, count: t.count) { throw DETRWeightsError("\(file): '\(name)': \(p)") }
            if !trainingOnly.contains(key) { named.append((key, t)) }
        }
        var w = TorchWeightImporter(TorchStateDict(file: file, tensors: named))
        guard w.has("backbone.model.embedder.embedder.0.convolution.weight"), w.has("enc_score_head.weight") else {
            throw DETRWeightsError("\(file): not an RT-DETR checkpoint (model.backbone.model.embedder / model.enc_score_head missing)")
        }
        let backbone = try RTDetrResNet(&w, path: "backbone.model")
        let encoder = try RTDetrHybridEncoder(&w, inputs: backbone.outputs)
        let decoder = try RTDetrDecoder(&w, levels: encoder.outputs.count)
        try w.finish()
        let classNames: [String]
        if let names {
            guard names.count == decoder.classes else { throw DETRWeightsError("\(file): the class head has \(decoder.classes) labels, \(names.count) names were given") }
            classNames = names
        } else if decoder.classes == COCOClassNames.names.count {
            classNames = COCOClassNames.names
        } else {
            classNames = (0..<decoder.classes).map { "label\($0)" }
        }
        return RTDETR(card: card, classNames: classNames, backbone: backbone, encoder: encoder, decoder: decoder)
    }

    public var postprocessing: Postprocessing { .none }

    /// Every stage of one pass over an image tensor (arena buffers: valid until the next pass).
    public struct Stages {
        /// The backbone's stage 2–4 maps (HF `RTDetrConvEncoder` features).
        public var features: [Tensor]
        /// The hybrid encoder's three maps (HF `encoder_last_hidden_state`).
        public var encoder: [Tensor]
        public var decoder: RTDetrDecoder.Output
        /// The last layer's logits `1, Q, classes` and boxes `1, Q, 4` (sigmoid `cx, cy, w, h`): HF `logits`, `pred_boxes`.
        public var logits: Tensor { decoder.logits[decoder.logits.count - 1] }
        public var boxes: Tensor { decoder.referencePoints[decoder.referencePoints.count - 1] }
    }

    public func forward(_ input: Tensor) throws -> Stages {
        precondition(input.rank == 4 && input.shape[0] == 1 && input.shape[1] == 3, "\(card.name): input must be [1, 3, H, W], got \(input.shape)")
        guard input.shape[2] % 32 == 0, input.shape[3] % 32 == 0 else {
            throw LayerShapeError("\(card.name): input \(input.shape[3])×\(input.shape[2]) is not a multiple of 32 (RT-DETR's strides)")
        }
        arena.reset()
        let ctx = ForwardContext(arena: arena, workspace: workspace, inputShape: input.shape)
        let features = try backbone(input, ctx)
        try Interruption.check()
        let maps = try encoder(features, ctx)
        let out = try decoder(maps, ctx)
        plannedShape = input.shape
        return Stages(features: features, encoder: maps, decoder: out)
    }

    public func candidates(_ input: Tensor, into collector: inout CandidateCollector) throws {
        let s = try forward(input)
        Self.decode(logits: s.logits, boxes: s.boxes, width: Float(input.shape[3]), height: Float(input.shape[2]), into: &collector)
    }

    /// `RTDetrImageProcessor.post_process_object_detection` (`use_focal_loss=True`) for batch item 0: sigmoid of every
    /// query × class logit, the top `Q` of those `Q·C` scores (descending; ties: lower flat index first) offered in
    /// that order — label `index % C`, box of query `index / C` as corners scaled to `width × height` (HF's
    /// `target_sizes`: the input tensor's size; the pipeline undoes the resize) — to the collector, which keeps those
    /// strictly above its threshold (HF's `score > threshold`).
    public static func decode(logits: Tensor, boxes: Tensor, width: Float, height: Float, into collector: inout CandidateCollector) {
        let q = logits.shape[1], c = logits.shape[2]
        var passing: [(score: Float, index: Int)] = []
        for i in 0..<(q * c) {
            let s = RTDetrDecoder.sigmoid(logits.pointer[i])
            if s > collector.confidence { passing.append((s, i)) }
        }
        // Every passing score ranks above every other: the top Q of all Q·C scores that pass are the passing ones' top Q.
        passing.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
        for (score, index) in passing.prefix(q) {
            let bx = boxes.pointer + (index / c) * 4
            collector.offer(score: score, classID: index % c) {
                let cx = bx[0], cy = bx[1], w = bx[2], h = bx[3]
                return Box(x1: (cx - 0.5 * w) * width, y1: (cy - 0.5 * h) * height, x2: (cx + 0.5 * w) * width, y2: (cy + 0.5 * h) * height)
            }
        }
    }

    public func releaseBuffers(keepingInputShape keep: [Int]?) {
        guard plannedShape != keep else { return }
        arena.releaseAll()
        workspace.release()
        plannedShape = nil
        MemoryRelease.returnFreedMemory()
    }
}

extension RTDETR {
    /// Activation buffers held (tests: a repeated pass at one shape must not grow this).
    public var arenaSlotCountForTests: Int { arena.slotCount }
}
