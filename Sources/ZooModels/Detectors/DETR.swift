import Foundation
import ZooDetect
import ZooNN

/// DETR = backbone → `DETRTransformer` (1×1 projection, encoder, decoder over 100 learned queries) → `DETRHead`
/// (class + box per query), set prediction without NMS (Carion et al. 2020; port of HF transformers 5.23
/// `DetrForObjectDetection` and `DetrImageProcessor.post_process_object_detection`).
///
/// Input `1, 3, H, W` (ImageNet mean/std, shortest side 800, longest ≤ 1333 as `DetrImageProcessor` resizes, not
/// padded); batch 1, so no pixel mask is needed (every cell is valid: HF's mask of an unpadded image is all ones). The
/// backbone's last feature map (C5) feeds the transformer. Not thread-safe (the pipeline serialises calls).
public final class DETR: ObjectDetectionModel {
    public let card: ModelCard
    public let classNames: [String]
    /// Torchvision-layout ResNet (HF `model.backbone.model.*` keys when `use_timm_backbone=True`); nil for a model that
    /// is fed feature maps directly (`forward(features:validMask:)`).
    public let backbone: (any Backbone)?
    public let transformer: DETRTransformer
    public let head: DETRHead
    /// Checkpoint label → index in `classNames` (nil entry: never reported, e.g. COCO's "N/A" ids); nil: identity.
    public let labelMap: [Int?]?
    let arena = TensorArena()
    let workspace = Workspace()
    private var plannedShape: [Int]?

    public init(card: ModelCard, classNames: [String], backbone: (any Backbone)?, transformer: DETRTransformer, head: DETRHead,
                labelMap: [Int?]? = nil) {
        self.card = card; self.classNames = classNames; self.backbone = backbone
        self.transformer = transformer; self.head = head; self.labelMap = labelMap
    }

    /// Loads the transformer and heads of an HF `DetrForObjectDetection` checkpoint strictly; keys under
    /// `model.backbone.` must be consumed by `backbone` (loaded by the caller from the same checkpoint) or, with
    /// `backbone == nil`, be absent — unless `leavingBackboneKeys` (a full checkpoint run on given feature maps).
    /// `labelMap` (checkpoint label → `classNames` index) sets the head's class count to its length; nil: one label per name.
    public static func load(_ w: DETRCheckpoint, card: ModelCard, config: DETRTransformer.Config = .detr, backboneChannels: Int = 2048,
                            classNames: [String], backbone: (any Backbone)?, leavingBackboneKeys: Bool = false,
                            labelMap: [Int?]? = nil) throws -> DETR {
        if let backbone, let last = backbone.outputs.last, last.channels != backboneChannels {
            throw DETRWeightsError("\(w.file): backbone's last map has \(last.channels) channels, the transformer expects \(backboneChannels)")
        }
        let transformer = try DETRTransformer(w, config: config, inChannels: backboneChannels)
        let head = try DETRHead(w, classes: labelMap?.count ?? classNames.count, dModel: config.dModel)
        try w.finish(ignoring: backbone == nil && !leavingBackboneKeys ? [] : ["model.backbone."])
        return DETR(card: card, classNames: classNames, backbone: backbone, transformer: transformer, head: head, labelMap: labelMap)
    }

    /// The whole detector from one checkpoint file (`DETRCheckpoint.open`: HF safetensors with either backbone layout,
    /// or the original `.pth`), loaded strictly. Sizes follow the checkpoint (d_model and queries from
    /// `query_position_embeddings`, FFN width, layer counts, backbone depth, C5 channels, labels from the class head);
    /// the head count is not stored in a checkpoint: `heads` (8 for every published DETR). A 91-label head (+ "no
    /// object") is COCO (ids 1…90 → the 80 `COCOClassNames`, "N/A" ids never reported); otherwise `classNames` must
    /// name every label (nil: `label0`, `label1`, …).
    public static func load(checkpoint url: URL, card: ModelCard, heads: Int = 8, classNames names: [String]? = nil) throws -> DETR {
        let w = try DETRCheckpoint.open(url)
        let file = url.lastPathComponent
        guard let qe = w.shape("model.query_position_embeddings.weight"), qe.count == 2,
              let proj = w.shape("model.input_projection.weight"), proj.count == 4,
              let fc1 = w.shape("model.encoder.layers.0.fc1.weight"), fc1.count == 2,
              let cls = w.shape("class_labels_classifier.weight"), cls.count == 2, cls[0] >= 2 else {
            throw DETRWeightsError("\(file): not a DETR checkpoint (query_position_embeddings, input_projection, encoder fc1 or class head missing)")
        }
        func layers(_ prefix: String) -> Int {
            var n = 0
            while w.contains("\(prefix).\(n).fc1.weight") { n += 1 }
            return n
        }
        let d = qe[1]
        guard heads > 0, d % heads == 0 else { throw DETRWeightsError("\(file): d_model \(d) is not divisible by \(heads) heads") }
        let config = DETRTransformer.Config(dModel: d, heads: heads, ffnDim: fc1[0], encoderLayers: layers("model.encoder.layers"),
                                            decoderLayers: layers("model.decoder.layers"), numQueries: qe[0])
        let backbone = try DETRBackbone.resNet(w.takeAll(prefix: DETRCheckpoint.backbonePrefix), file: file)
        let labels = cls[0] - 1
        let classNames: [String], labelMap: [Int?]
        if let names {
            guard names.count == labels else { throw DETRWeightsError("\(file): the class head has \(labels) labels, \(names.count) names were given") }
            classNames = names; labelMap = (0..<labels).map { $0 }
        } else if labels == TorchvisionCOCO.categories.count {
            classNames = COCOClassNames.names; labelMap = TorchvisionCOCO.contiguous
        } else {
            classNames = (0..<labels).map { "label\($0)" }; labelMap = (0..<labels).map { $0 }
        }
        return try load(w, card: card, config: config, backboneChannels: proj[1], classNames: classNames, backbone: backbone,
                        labelMap: labelMap)
    }

    public var postprocessing: Postprocessing { head.postprocessing }

    /// Transformer and heads on a backbone feature map `B, C, h, w` (valid until the next call).
    public func forward(features: Tensor, validMask: [UInt8]? = nil) -> (transformer: DETRTransformer.Output, logits: Tensor, boxes: Tensor) {
        arena.reset()
        let ctx = ForwardContext(arena: arena, workspace: workspace)
        let out = transformer(features, validMask: validMask, ctx)
        let (logits, boxes) = head(out.hidden, ctx)
        return (out, logits, boxes)
    }

    /// Every stage of one pass over an image tensor `1, 3, H, W` (arena buffers: valid until the next pass).
    public struct Stages {
        /// The backbone's C5 map `1, C, ⌈H/32⌉, ⌈W/32⌉` (HF `DetrConvEncoder`'s last feature map).
        public var features: Tensor
        public var transformer: DETRTransformer.Output
        /// `1, Q, labels + 1` and sigmoid `cx, cy, w, h` `1, Q, 4`.
        public var logits: Tensor, boxes: Tensor
    }

    /// Backbone → transformer → heads on `input` (batch 1, no padding: no pixel mask).
    public func forward(_ input: Tensor) throws -> Stages {
        guard let backbone else { throw DETRWeightsError("\(card.name): no backbone attached; feed feature maps with forward(features:)") }
        precondition(input.rank == 4 && input.shape[0] == 1 && input.shape[1] == 3, "\(card.name): input must be [1, 3, H, W], got \(input.shape)")
        arena.reset()
        let ctx = ForwardContext(arena: arena, workspace: workspace, inputShape: input.shape)
        let features = try backbone(input, ctx)
        try Interruption.check()
        guard let c5 = features.last else { throw DETRWeightsError("\(card.name): the backbone returned no feature map") }
        let out = transformer(c5, validMask: nil, ctx)
        try Interruption.check()
        let (logits, boxes) = head(out.hidden, ctx)
        plannedShape = input.shape
        return Stages(features: c5, transformer: out, logits: logits, boxes: boxes)
    }

    public func candidates(_ input: Tensor, into collector: inout CandidateCollector) throws {
        let s = try forward(input)
        head.decode(logits: s.logits, boxes: s.boxes, item: 0, width: Float(input.shape[3]), height: Float(input.shape[2]),
                    labelMap: labelMap, into: &collector)
    }

    public func releaseBuffers(keepingInputShape keep: [Int]?) {
        guard plannedShape != keep else { return }
        arena.releaseAll()
        workspace.release()
        plannedShape = nil
        MemoryRelease.returnFreedMemory()
    }

    /// HF's pixel-mask downsampling (`interpolate(mask, size=(h, w))`, nearest: source index ⌊i·H/h⌋) for a batch of
    /// `B, H, W` masks (non-zero = valid) to `B, h, w` bytes.
    public static func featureMask(_ pixelMask: [UInt8], batch: Int, height: Int, width: Int, featureHeight h: Int, featureWidth w: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: batch * h * w)
        for b in 0..<batch { for y in 0..<h { for x in 0..<w {
            let sy = min(height - 1, Int((Float(y) * (Float(height) / Float(h))).rounded(.down)))
            let sx = min(width - 1, Int((Float(x) * (Float(width) / Float(w))).rounded(.down)))
            out[(b * h + y) * w + x] = pixelMask[(b * height + sy) * width + sx] != 0 ? 1 : 0
        } } }
        return out
    }
}

extension DETR {
    /// Activation buffers held (tests: a repeated pass at one shape must not grow this).
    public var arenaSlotCountForTests: Int { arena.slotCount }
}

extension DETR {
    /// Scratch floats held by the kernel workspace (tests: a repeated pass must not grow this).
    public var workspaceCapacityForTests: Int { workspace.capacity }
}
