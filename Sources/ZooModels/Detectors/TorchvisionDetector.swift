import Foundation
import ZooDetect
import ZooNN

/// A torchvision detection network (Faster R-CNN, RetinaNet): a `1, 3, H, W` tensor whose top-left
/// `imageHeight × imageWidth` is the image → final detections (input-tensor pixels, the checkpoint's label ids).
public protocol TorchvisionDetectionNetwork: AnyObject {
    /// Label ids the checkpoint predicts, background (0) included: 91 for torchvision's COCO models.
    var labelCount: Int { get }
    func detections(_ x: Tensor, imageHeight: Int, imageWidth: Int) throws -> [Detection]
}

extension FasterRCNN: TorchvisionDetectionNetwork {
    public var labelCount: Int { roiHeads.classes }
    public func detections(_ x: Tensor, imageHeight: Int, imageWidth: Int) throws -> [Detection] {
        try forward(x, imageHeight: imageHeight, imageWidth: imageWidth).detections
    }
}

extension RetinaNet: TorchvisionDetectionNetwork {
    public var labelCount: Int { head.classes }
    public func detections(_ x: Tensor, imageHeight: Int, imageWidth: Int) throws -> [Detection] {
        try forward(x, imageHeight: imageHeight, imageWidth: imageWidth).detections
    }
}

extension FCOS: TorchvisionDetectionNetwork {
    /// FCOS has no background logit: label 0 is scored like any other (torchvision's COCO file never predicts it).
    public var labelCount: Int { head.classes }
    public func detections(_ x: Tensor, imageHeight: Int, imageWidth: Int) throws -> [Detection] {
        try forward(x, imageHeight: imageHeight, imageWidth: imageWidth).detections
    }
}

/// A torchvision detector as the detection pipeline drives it: the pipeline's `.shortestSide` preprocessing is
/// torchvision's `GeneralizedRCNNTransform`, the network does its own per-class NMS (`postprocessing` `.none`), and
/// label ids are mapped to names (torchvision's 91 COCO ids → the 80 `COCOClassNames`, background and "N/A" never
/// reported; a fine-tuned model's `1 … K−1` → `classNames[0 … K−2]`).
public final class TorchvisionDetector: ObjectDetectionModel {
    public let card: ModelCard
    public let classNames: [String]
    public let network: any TorchvisionDetectionNetwork
    /// Checkpoint label → index in `classNames` (nil: never reported).
    let labelMap: [Int?]

    /// Wraps `network`; `classNames` nil: a 91-label network is COCO (torchvision's ids); any other label count
    /// needs names (one per non-background label, in label order). `file` labels errors.
    public init(_ network: any TorchvisionDetectionNetwork, card: ModelCard, classNames names: [String]? = nil, file: String) throws {
        let k = network.labelCount
        if let names {
            guard names.count == k - 1 else {
                throw TorchPickleError(file: file, "the checkpoint has \(k - 1) classes (plus background), \(names.count) names were given")
            }
            classNames = names
            labelMap = [nil] + (0..<(k - 1)).map { $0 }
        } else {
            guard k == TorchvisionCOCO.categories.count else {
                throw TorchPickleError(file: file, "the checkpoint has \(k - 1) classes (plus background), not COCO's 90 ids: give their names (vz detect --names FILE, one per line)")
            }
            classNames = COCOClassNames.names
            labelMap = TorchvisionCOCO.contiguous
        }
        self.network = network
        self.card = card
    }

    /// BatchNorm epsilon of a checkpoint file: 0 for torchvision's own COCO_V1 files (their builders call
    /// `overwrite_eps(model, 0)`), torch's default 1e-5 otherwise (e.g. a model fine-tuned with `weights_backbone`).
    public static func batchNormEps(_ url: URL) -> Float { officialFiles.contains(url.lastPathComponent) ? 0 : 1e-5 }
    static let officialFiles: Set<String> = ["fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", "retinanet_resnet50_fpn_coco-eeacb38b.pth"]

    public var postprocessing: Postprocessing { .none }

    public func candidates(_ input: Tensor, into collector: inout CandidateCollector) throws {
        try candidates(input, imageHeight: input.shape[2], imageWidth: input.shape[3], into: &collector)
    }

    public func candidates(_ input: Tensor, imageHeight: Int, imageWidth: Int, into collector: inout CandidateCollector) throws {
        precondition(input.rank == 4 && input.shape[1] == 3, "\(card.name): input must be [1, 3, H, W], got \(input.shape)")
        for d in try network.detections(input, imageHeight: imageHeight, imageWidth: imageWidth) {
            guard d.classID >= 0, d.classID < labelMap.count, let c = labelMap[d.classID] else { continue }
            collector.offer(score: d.score, classID: c) { d.box }
        }
    }

    /// GeneralizedRCNNTransform(min_size, max_size): shorter side `min_size`, longer ≤ `max_size`, ImageNet mean/std.
    static func input(_ t: GeneralizedRCNNTransform = .init()) -> ModelInput {
        ModelInput(width: t.maxSize, height: t.minSize, channelOrder: .rgb, scale: 1.0 / 255,
                   mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: .shortestSide, sizeMultiple: 32)
    }

    static func card(_ name: String, family: String, file: String, weights: String, map: String,
                     transform: GeneralizedRCNNTransform = .init()) -> ModelCard {
        ModelCard(name: name, family: family, task: .detection, input: input(transform), classes: 80, folder: name,
                  files: [WeightFile(file)],
                  source: .http(base: "https://download.pytorch.org/models",
                                note: "torchvision 0.29.1 \(weights) \(file), sha256 prefix in the name checked as torch.hub does; VZ_WEIGHTS_MIRROR overrides the host; or `vz detect --model \(name) --weights FILE.pth`"),
                  licence: "BSD-3-Clause (torchvision)",
                  accuracy: "COCO val2017 box mAP \(map) (torchvision docs, \(weights))")
    }

    /// The zoo entries of the family.
    public static let entries: [ModelEntry] = [
        ModelEntry(card: card("faster-rcnn-resnet50-fpn", family: "torchvision-faster-rcnn", file: "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth",
                              weights: "FasterRCNN_ResNet50_FPN_Weights.COCO_V1", map: "37.0"),
                   factory: .detector { folder, card in
                       let url = folder.appendingPathComponent(card.files[0].name)
                       return try TorchvisionDetector(FasterRCNN(checkpoint: url, batchNormEps: batchNormEps(url)), card: card, classNames: card.classNames, file: url.path)
                   }),
        ModelEntry(card: card("faster-rcnn-resnet50-fpn-v2", family: "torchvision-faster-rcnn", file: "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth",
                              weights: "FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1", map: "46.7"),
                   factory: .detector { folder, card in
                       let url = folder.appendingPathComponent(card.files[0].name)
                       return try TorchvisionDetector(FasterRCNN(checkpoint: url, architecture: .resnet50FPNv2), card: card, classNames: card.classNames, file: url.path)
                   }),
        ModelEntry(card: card("faster-rcnn-mobilenet-v3-large-fpn", family: "torchvision-faster-rcnn",
                              file: "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth",
                              weights: "FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1", map: "32.8"),
                   factory: .detector { folder, card in
                       let url = folder.appendingPathComponent(card.files[0].name)
                       return try TorchvisionDetector(FasterRCNN(checkpoint: url, architecture: .mobileNetV3LargeFPN), card: card, classNames: card.classNames, file: url.path)
                   }),
        ModelEntry(card: card("faster-rcnn-mobilenet-v3-large-320-fpn", family: "torchvision-faster-rcnn",
                              file: "fasterrcnn_mobilenet_v3_large_320_fpn-907ea3f9.pth",
                              weights: "FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.COCO_V1", map: "22.8",
                              transform: FasterRCNN.Architecture.mobileNetV3Large320FPN.transform),
                   factory: .detector { folder, card in
                       let url = folder.appendingPathComponent(card.files[0].name)
                       return try TorchvisionDetector(FasterRCNN(checkpoint: url, architecture: .mobileNetV3Large320FPN), card: card, classNames: card.classNames, file: url.path)
                   }),
        ModelEntry(card: card("retinanet-resnet50-fpn", family: "torchvision-retinanet", file: "retinanet_resnet50_fpn_coco-eeacb38b.pth",
                              weights: "RetinaNet_ResNet50_FPN_Weights.COCO_V1", map: "36.4"),
                   factory: .detector { folder, card in
                       let url = folder.appendingPathComponent(card.files[0].name)
                       return try TorchvisionDetector(RetinaNet(checkpoint: url, batchNormEps: batchNormEps(url)), card: card, classNames: card.classNames, file: url.path)
                   }),
        ModelEntry(card: card("fcos-resnet50-fpn", family: "torchvision-fcos", file: "fcos_resnet50_fpn_coco-99b0c9b7.pth",
                              weights: "FCOS_ResNet50_FPN_Weights.COCO_V1", map: "39.2"),
                   factory: .detector { folder, card in
                       // fcos_resnet50_fpn does not call overwrite_eps: torch's 1e-5 for its own file too.
                       let url = folder.appendingPathComponent(card.files[0].name)
                       return try TorchvisionDetector(FCOS(checkpoint: url), card: card, classNames: card.classNames, file: url.path)
                   }),
    ]
}
