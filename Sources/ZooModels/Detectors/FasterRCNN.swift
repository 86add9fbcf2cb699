import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// Faster R-CNN (Ren et al. 2015; Lin et al. 2017) as torchvision's four builders make it, from a torchvision
/// `state_dict` (keys `backbone.body.*`, `backbone.fpn.*`, `rpn.head.*`, `roi_heads.*`).
///
/// image → `GeneralizedRCNNTransform` → backbone (`ResNet` layers 1–4, or `MobileNetV3` features 13 and 16) → `FPN`
/// (+ "pool") → `RegionProposalNetwork` → `RoIHeads` (MultiScaleRoIAlign over the FPN levels but "pool" → box head →
/// FastRCNNPredictor → per-class NMS) → boxes in original pixels.
/// Port of torchvision `models/detection/generalized_rcnn.py` / `faster_rcnn.py`. Not thread-safe.
public final class FasterRCNN {
    /// torchvision's builders.
    public enum Architecture: Sendable, Equatable {
        /// `fasterrcnn_resnet50_fpn`: FrozenBN ResNet-50, plain FPN, 1-conv RPN head, `TwoMLPHead`.
        case resnet50FPN
        /// `fasterrcnn_resnet50_fpn_v2`: BatchNorm ResNet-50 and FPN (folded), 2-conv RPN head, `FastRCNNConvFCHead`.
        case resnet50FPNv2
        /// `fasterrcnn_mobilenet_v3_large_fpn`: MobileNetV3-Large (features 13, 16) + FPN, 15 anchors per location
        /// on 3 levels, RPN score threshold 0.05.
        case mobileNetV3LargeFPN
        /// `fasterrcnn_mobilenet_v3_large_320_fpn`: as above with `min_size` 320, `max_size` 640 and 150/150 RPN
        /// proposals before/after NMS.
        case mobileNetV3Large320FPN

        var isMobileNet: Bool { self == .mobileNetV3LargeFPN || self == .mobileNetV3Large320FPN }

        /// The builder's `GeneralizedRCNNTransform`.
        public var transform: GeneralizedRCNNTransform {
            self == .mobileNetV3Large320FPN ? GeneralizedRCNNTransform(minSize: 320, maxSize: 640) : GeneralizedRCNNTransform()
        }

        /// The builder's anchors: `_default_anchorgen` (one size per level), or `((32, 64, 128, 256, 512),) × 3` for
        /// MobileNet; ratios 0.5, 1, 2 everywhere.
        public var anchorGenerator: AnchorGenerator {
            isMobileNet ? AnchorGenerator(sizes: Array(repeating: [32, 64, 128, 256, 512], count: 3), aspectRatios: Array(repeating: [0.5, 1, 2], count: 3))
                : .fasterRCNNFPN
        }
    }

    public let architecture: Architecture
    public let backbone: any Backbone
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
    /// (with background; 91 for COCO) is the checkpoint's. `transform` nil: the architecture's.
    /// `batchNormEps`: see `ResNet` (0 for torchvision's own `fasterrcnn_resnet50_fpn` COCO_V1 file).
    public convenience init(checkpoint url: URL, architecture: Architecture = .resnet50FPN, transform: GeneralizedRCNNTransform? = nil,
                            batchNormEps: Float = 1e-5) throws {
        try self.init(stateDict: try TorchPickle.loadStateDict(contentsOf: url), architecture: architecture, transform: transform,
                      batchNormEps: batchNormEps)
    }

    /// Builds the model from tensors already read (errors name `stateDict.file` and the key).
    public init(stateDict: TorchStateDict, architecture: Architecture = .resnet50FPN, transform: GeneralizedRCNNTransform? = nil,
                batchNormEps: Float = 1e-5) throws {
        var w = TorchWeightImporter(stateDict)
        let classKey = "roi_heads.box_predictor.cls_score.weight"
        guard let classes = w.shape(classKey)?.first, classes >= 2, classes <= 100_000 else {
            throw TorchPickleError(file: stateDict.file, "\(classKey) is missing or malformed: not a torchvision Faster R-CNN checkpoint")
        }
        let bodyKey = architecture.isMobileNet ? "backbone.body.0.0.weight" : "backbone.body.conv1.weight"
        guard w.has(bodyKey) else {
            throw TorchPickleError(file: stateDict.file, "missing tensor \(bodyKey): not a \(architecture.isMobileNet ? "MobileNetV3" : "ResNet") "
                                   + "Faster R-CNN checkpoint (another architecture's file?)")
        }
        let v2 = architecture == .resnet50FPNv2
        backbone = architecture.isMobileNet
            ? try MobileNetV3(&w, path: "backbone.body", eps: batchNormEps)
            : try ResNet(&w, path: "backbone.body", depth: .resnet50, returnLayers: [1, 2, 3, 4], batchNormEps: batchNormEps)
        fpn = try FPN(&w, path: "backbone.fpn", inputs: backbone.outputs, outChannels: 256, extra: .maxPool,
                      batchNorm: v2, batchNormEps: batchNormEps)
        let anchors = architecture.anchorGenerator
        rpn = RegionProposalNetwork(head: try RPNHead(&w, "rpn.head", channels: 256, anchors: anchors.anchorsPerLocation[0], convDepth: v2 ? 2 : 1),
                                    anchorGenerator: anchors)
        if architecture.isMobileNet { rpn.scoreThreshold = 0.05 }
        if architecture == .mobileNetV3Large320FPN { rpn.preNMSTopN = 150; rpn.postNMSTopN = 150 }
        roiHeads = try RoIHeads(&w, "roi_heads", channels: 256, classes: classes, boxHead: v2 ? .convFC : .twoMLP, batchNormEps: batchNormEps)
        try w.finish()
        self.architecture = architecture
        self.transform = transform ?? architecture.transform
    }

    /// Runs every stage on `x` (`1, 3, H, W`, the transform's output) holding an image of `imageHeight × imageWidth`.
    /// `proposals` replaces the RPN's (parity tests feed the reference's to test the box branch alone).
    public func forward(_ x: Tensor, imageHeight: Int, imageWidth: Int, proposals given: [Box]? = nil) throws -> Stages {
        arena.reset()
        let ctx = ForwardContext(arena: arena, workspace: workspace)
        var s = Stages()
        s.features = try fpn(backbone(x, ctx), ctx)
        try Interruption.check()
        (s.objectness, s.rpnDeltas) = rpn.head(s.features, ctx)
        (s.proposals, s.proposalScores) = rpn.proposals(objectness: s.objectness, deltas: s.rpnDeltas,
                                                        inputHeight: x.shape[2], inputWidth: x.shape[3],
                                                        imageHeight: imageHeight, imageWidth: imageWidth)
        if let given { s.proposals = given }
        try Interruption.check()
        // MultiScaleRoIAlign's featmap_names "0"…"3": the FPN levels present, not "pool".
        let levels = zip(fpn.outputs, s.features).filter { $0.0.name != "pool" }.map(\.1)
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
