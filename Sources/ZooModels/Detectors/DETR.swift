import Foundation
import ZooDetect
import ZooNN

/// DETR = backbone → `DETRTransformer` (1×1 projection, encoder, decoder over 100 learned queries) → `DETRHead`
/// (class + box per query), set prediction without NMS (Carion et al. 2020; port of HF transformers 5.23
/// `DetrForObjectDetection` and `DetrImageProcessor.post_process_object_detection`).
///
/// Input `1, 3, H, W` (ImageNet mean/std, shortest side 800, longest ≤ 1333 as `DetrImageProcessor` resizes); batch 1,
/// so no pixel mask is needed (every cell is valid). The backbone's last feature map feeds the transformer.
/// Not thread-safe (the pipeline serialises calls).
public final class DETR: ObjectDetectionModel {
    public let card: ModelCard
    public let classNames: [String]
    /// Torchvision-layout ResNet (HF `model.backbone.model.*` keys when `use_timm_backbone=True`); nil for a model that
    /// is fed feature maps directly (`forward(features:validMask:)`).
    public let backbone: (any Backbone)?
    public let transformer: DETRTransformer
    public let head: DETRHead
    let arena = TensorArena()
    let workspace = Workspace()
    private var plannedShape: [Int]?

    public init(card: ModelCard, classNames: [String], backbone: (any Backbone)?, transformer: DETRTransformer, head: DETRHead) {
        self.card = card; self.classNames = classNames; self.backbone = backbone
        self.transformer = transformer; self.head = head
    }

    /// Loads the transformer and heads of an HF `DetrForObjectDetection` checkpoint strictly; keys under
    /// `model.backbone.` must be consumed by `backbone` (loaded by the caller from the same checkpoint) or, with
    /// `backbone == nil`, be absent — unless `leavingBackboneKeys` (a full checkpoint run on given feature maps).
    public static func load(_ w: DETRCheckpoint, card: ModelCard, config: DETRTransformer.Config = .detr, backboneChannels: Int = 2048,
                            classNames: [String], backbone: (any Backbone)?, leavingBackboneKeys: Bool = false) throws -> DETR {
        if let backbone, let last = backbone.outputs.last, last.channels != backboneChannels {
            throw DETRWeightsError("\(w.file): backbone's last map has \(last.channels) channels, the transformer expects \(backboneChannels)")
        }
        let transformer = try DETRTransformer(w, config: config, inChannels: backboneChannels)
        let head = try DETRHead(w, classes: classNames.count, dModel: config.dModel)
        try w.finish(ignoring: backbone == nil && !leavingBackboneKeys ? [] : ["model.backbone."])
        return DETR(card: card, classNames: classNames, backbone: backbone, transformer: transformer, head: head)
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

    public func candidates(_ input: Tensor, into collector: inout CandidateCollector) throws {
        guard let backbone else { throw DETRWeightsError("\(card.name): no backbone attached; feed feature maps with forward(features:)") }
        precondition(input.rank == 4 && input.shape[0] == 1 && input.shape[1] == 3, "\(card.name): input must be [1, 3, H, W], got \(input.shape)")
        arena.reset()
        let ctx = ForwardContext(arena: arena, workspace: workspace, inputShape: input.shape)
        let features = try backbone(input, ctx)
        try Interruption.check()
        guard let c5 = features.last else { return }
        let out = transformer(c5, validMask: nil, ctx)
        try Interruption.check()
        let (logits, boxes) = head(out.hidden, ctx)
        plannedShape = input.shape
        head.decode(logits: logits, boxes: boxes, item: 0, width: Float(input.shape[3]), height: Float(input.shape[2]), into: &collector)
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
