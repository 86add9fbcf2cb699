import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// Faster R-CNN with a ResNet-50-FPN backbone (Ren et al. 2015; Lin et al. 2017), from a torchvision `state_dict`
/// (`fasterrcnn_resnet50_fpn`'s keys: `backbone.body.*`, `backbone.fpn.*`, `rpn.head.*`, `roi_heads.*`).
///
/// image → `GeneralizedRCNNTransform` → `ResNet` (layers 1–4) → `FPN` ("0"–"3" + "pool") → `RegionProposalNetwork`
/// (1000 proposals) → `RoIHeads` (MultiScaleRoIAlign → TwoMLPHead → FastRCNNPredictor → per-class NMS) → boxes in
/// original pixels. Port of torchvision `models/detection/generalized_rcnn.py` / `faster_rcnn.py`. Not thread-safe.
public final class FasterRCNN {
    public let backbone: ResNet
    public let fpn: FPN
    public var rpn: RegionProposalNetwork
    public var roiHeads: RoIHeads
    public var transform: GeneralizedRCNNTransform
    let arena = TensorArena()
    let workspace = Workspace()

    /// Every stage's output of one pass, for parity tests (tensors valid until the next pass).
    public struct Stages {
        public var features: [Tensor] = []
        public var objectness: [Tensor] = [], rpnDeltas: [Tensor] = []
        public var proposals: [Box] = [], proposalScores: [Float] = []
        public var roiFeatures = Tensor(zeros: [0]), classLogits = Tensor(zeros: [0]), boxDeltas = Tensor(zeros: [0])
        /// Detections in input-tensor pixels.
        public var detections: [Detection] = []
    }

    /// Builds the model from a torchvision checkpoint (zip or legacy `torch.save`), every key used; the class count
    /// (with background; 91 for COCO) is the checkpoint's.
    /// `batchNormEps`: see `ResNet` (0 for torchvision's own COCO_V1 file).
    public convenience init(checkpoint url: URL, transform: GeneralizedRCNNTransform = .init(), batchNormEps: Float = 1e-5) throws {
        try self.init(stateDict: try TorchPickle.loadStateDict(contentsOf: url), transform: transform, batchNormEps: batchNormEps)
    }

    /// Builds the model from tensors already read (errors name `stateDict.file` and the key).
    public init(stateDict: TorchStateDict, transform: GeneralizedRCNNTransform = .init(), batchNormEps: Float = 1e-5) throws {
        var w = TorchWeightImporter(stateDict)
        let classKey = "roi_heads.box_predictor.cls_score.weight"
        guard let classes = w.shape(classKey)?.first, classes >= 2, classes <= 100_000 else {
            throw TorchPickleError(file: stateDict.file, "\(classKey) is missing or malformed: not a torchvision Faster R-CNN checkpoint")
        }
        backbone = try ResNet(&w, path: "backbone.body", depth: .resnet50, returnLayers: [1, 2, 3, 4], batchNormEps: batchNormEps)
        fpn = try FPN(&w, path: "backbone.fpn", inputs: backbone.outputs, outChannels: 256, extra: .maxPool)
        let anchors = AnchorGenerator.fasterRCNNFPN
        rpn = RegionProposalNetwork(head: try RPNHead(&w, "rpn.head", channels: 256, anchors: anchors.anchorsPerLocation[0]),
                                    anchorGenerator: anchors)
        roiHeads = try RoIHeads(&w, "roi_heads", channels: 256, classes: classes)
        try w.finish()
        self.transform = transform
    }

    /// Runs every stage on `x` (`1, 3, H, W`, the transform's output) holding an image of `imageHeight × imageWidth`.
    /// `proposals` replaces the RPN's (parity tests feed the reference's to test the box branch alone).
    public func forward(_ x: Tensor, imageHeight: Int, imageWidth: Int, proposals given: [Box]? = nil) throws -> Stages {
        arena.reset()
        let ctx = ForwardContext(arena: arena, workspace: workspace)
        var s = Stages()
        s.features = fpn(backbone(x, ctx), ctx)
        try Interruption.check()
        (s.objectness, s.rpnDeltas) = rpn.head(s.features, ctx)
        (s.proposals, s.proposalScores) = rpn.proposals(objectness: s.objectness, deltas: s.rpnDeltas,
                                                        inputHeight: x.shape[2], inputWidth: x.shape[3],
                                                        imageHeight: imageHeight, imageWidth: imageWidth)
        if let given { s.proposals = given }
        try Interruption.check()
        let levels = Array(s.features.prefix(4))   // MultiScaleRoIAlign's featmap_names "0"…"3"
        s.roiFeatures = roiHeads.roiFeatures(levels, proposals: s.proposals, imageHeight: imageHeight, imageWidth: imageWidth, ctx)
        (s.classLogits, s.boxDeltas) = roiHeads.predict(s.roiFeatures, ctx)
        s.detections = roiHeads.postprocess(logits: s.classLogits, deltas: s.boxDeltas, proposals: s.proposals,
                                            imageHeight: imageHeight, imageWidth: imageWidth)
        return s
    }

    /// Detections of `image` in its own pixels (torchvision's `transform.postprocess`: boxes × original / resized).
    public func detect(_ image: Image) throws -> [Detection] {
        let x = Tensor(zeros: transform.tensorShape(height: image.height, width: image.width))
        let r = transform.apply(image, into: x, workspace: workspace)
        let s = try forward(x, imageHeight: r.height, imageWidth: r.width)
        let rh = Float(image.height) / Float(r.height), rw = Float(image.width) / Float(r.width)
        return s.detections.map { d in
            var d = d
            d.box = Box(x1: d.box.x1 * rw, y1: d.box.y1 * rh, x2: d.box.x2 * rw, y2: d.box.y2 * rh)
            return d
        }
    }
}
