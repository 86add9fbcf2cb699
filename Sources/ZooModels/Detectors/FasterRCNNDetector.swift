import Foundation
import ZooDetect
import ZooNN

/// `FasterRCNN` as the detection pipeline drives it: the pipeline's `.shortestSide` preprocessing is torchvision's
/// `GeneralizedRCNNTransform`, the model does its own per-class NMS (`postprocessing` `.none`), and class ids are
/// mapped from the checkpoint's labels (torchvision's 91 COCO ids → the 80 `COCOClassNames`, or a fine-tuned
/// model's `1 … K−1` → `classNames[0 … K−2]`).
public final class FasterRCNNDetector: ObjectDetectionModel {
    public let card: ModelCard
    public let classNames: [String]
    public let model: FasterRCNN
    /// Checkpoint label → index in `classNames` (nil: never reported).
    let labelMap: [Int?]

    public var postprocessing: Postprocessing { .none }

    /// Loads a torchvision checkpoint. `classNames` nil: a 91-class checkpoint is COCO (torchvision's ids); any
    /// other class count needs names (one per non-background class, in label order).
    /// torchvision's own COCO_V1 checkpoint, which its builder loads with BatchNorm eps 0 (`overwrite_eps`).
    public static let officialFile = "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth"

    /// `batchNormEps` nil: 0 for `officialFile`, else torch's default 1e-5 (a model fine-tuned from torchvision's
    /// builder with `weights_backbone`).
    public init(checkpoint url: URL, card: ModelCard, classNames names: [String]? = nil, batchNormEps: Float? = nil) throws {
        let m = try FasterRCNN(checkpoint: url, batchNormEps: batchNormEps ?? (url.lastPathComponent == Self.officialFile ? 0 : 1e-5))
        let k = m.roiHeads.classes
        if let names {
            guard names.count == k - 1 else {
                throw TorchPickleError(file: url.path, "the checkpoint has \(k - 1) classes (plus background), \(names.count) names were given")
            }
            classNames = names
            labelMap = [nil] + (0..<(k - 1)).map { $0 }
        } else {
            guard k == TorchvisionCOCO.categories.count else {
                throw TorchPickleError(file: url.path, "the checkpoint has \(k - 1) classes (plus background), not COCO's 90 ids: give their names (--names FILE)")
            }
            classNames = COCOClassNames.names
            labelMap = TorchvisionCOCO.contiguous
        }
        model = m
        self.card = card
    }

    public func candidates(_ input: Tensor, into collector: inout CandidateCollector) throws {
        try candidates(input, imageHeight: input.shape[2], imageWidth: input.shape[3], into: &collector)
    }

    public func candidates(_ input: Tensor, imageHeight: Int, imageWidth: Int, into collector: inout CandidateCollector) throws {
        precondition(input.rank == 4 && input.shape[1] == 3, "\(card.name): input must be [1, 3, H, W], got \(input.shape)")
        let s = try model.forward(input, imageHeight: imageHeight, imageWidth: imageWidth)
        for d in s.detections {
            guard d.classID < labelMap.count, let c = labelMap[d.classID] else { continue }
            collector.offer(score: d.score, classID: c) { d.box }
        }
    }

    /// The zoo entries of the family.
    public static let entries: [ModelEntry] = [
        ModelEntry(card: ModelCard(
            name: "faster-rcnn-resnet50-fpn", family: "torchvision-faster-rcnn", task: .detection,
            // GeneralizedRCNNTransform(min_size=800, max_size=1333): shorter side 800, longer ≤ 1333.
            input: ModelInput(width: 1333, height: 800, channelOrder: .rgb, scale: 1.0 / 255,
                              mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: .shortestSide, sizeMultiple: 32),
            classes: 80, folder: "faster-rcnn-resnet50-fpn",
            files: [WeightFile(officialFile)],
            source: .user(note: "torchvision 0.29.1 FasterRCNN_ResNet50_FPN_Weights.COCO_V1, https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth (sha256 prefix 258fb6c6); `vz weights pull faster-rcnn-resnet50-fpn --from DIR` or `vz detect --weights FILE.pth`"),
            licence: "BSD-3-Clause (torchvision)",
            accuracy: "COCO val2017 box mAP 37.0 (torchvision docs, FasterRCNN_ResNet50_FPN_Weights.COCO_V1)"),
            factory: .detector { folder, card in
                try FasterRCNNDetector(checkpoint: folder.appendingPathComponent(card.files[0].name), card: card)
            }),
    ]
}
