import Foundation
import ZooDetect
import ZooNN

/// A one-stage detector composed of modules: image tensor → backbone → neck → head → decoded candidates.
/// YOLOX, NanoDet, FastestDet, darknet YOLO (cfg trunk → `YOLOHead`, no separate neck) and the face detectors
/// (inside `SingleStageFaceDetector`) are instances with different modules; the pipelines apply the
/// post-processing the head declares.
///
/// Input `1, 3, H, W` preprocessed as the card's `ModelInput` says, H and W multiples of `card.input.sizeMultiple`.
/// Not thread-safe (the pipeline serialises calls); the arena plans activation buffers on the first pass at a
/// shape and reuses them afterwards.
public final class SingleStageDetector: ObjectDetectionModel {
    public let card: ModelCard
    public let classNames: [String]
    public let backbone: any Backbone
    /// nil where one module is backbone and neck at once (a darknet cfg's trunk).
    public let neck: (any Neck)?
    public let head: any DetectionHead
    let arena = TensorArena()
    let workspace = Workspace()
    private var plannedShape: [Int]?

    public init(card: ModelCard, classNames: [String], backbone: any Backbone, neck: (any Neck)?, head: any DetectionHead) {
        self.card = card; self.classNames = classNames
        self.backbone = backbone; self.neck = neck; self.head = head
    }

    public var postprocessing: Postprocessing { head.postprocessing }

    /// Activation buffers held (tests: a repeated pass at one shape must not grow this).
    public var arenaSlotCount: Int { arena.slotCount }
    /// Scratch floats held by the kernel workspace.
    public var workspaceCapacity: Int { workspace.capacity }

    /// The raw head outputs for `x` (valid until the next call). Throws `Interrupted` between stages.
    public func forward(_ x: Tensor) throws -> [Tensor] {
        arena.reset()
        let ctx = ForwardContext(arena: arena, workspace: workspace, inputShape: x.shape)
        let features = try backbone(x, ctx)
        try Interruption.check()
        let pyramid = try neck.map { try $0(features, ctx) } ?? features
        try Interruption.check()
        return try head(pyramid, ctx)
    }

    /// The raw head outputs for `x` by the reference graph's names (`head.rawOutputNames`; parity tests).
    public func rawOutputs(_ x: Tensor) throws -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: zip(head.rawOutputNames, try forward(x)))
    }

    public func candidates(_ input: Tensor, into collector: inout CandidateCollector) throws {
        precondition(input.rank == 4 && input.shape[1] == 3, "\(card.name): input must be [1, 3, H, W], got \(input.shape)")
        let raw = try forward(input)
        try Interruption.check()
        plannedShape = input.shape
        head.decode(raw, inputHeight: input.shape[2], inputWidth: input.shape[3], into: &collector)
    }

    public func releaseBuffers(keepingInputShape keep: [Int]?) {
        (backbone as? PlansOwnBuffers)?.releaseBuffers(keepingInputShape: keep)
        guard plannedShape != keep else { return }
        // Buffers sized for an unusual input: drop them (the next pass at the usual size re-plans them).
        arena.releaseAll()
        workspace.release()
        plannedShape = nil
        MemoryRelease.returnFreedMemory()
    }
}
