import Foundation

extension DETR {
    /// `DetrImageProcessor` geometry: shorter side 800, longer ≤ 1333, ImageNet mean/std, RGB /255, no padding
    /// (`sizeMultiple` 1: batch 1 needs neither padding nor a pixel mask; the backbone takes any size).
    static let input = ModelInput(width: 1333, height: 800, channelOrder: .rgb, scale: 1.0 / 255,
                                  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: .shortestSide, sizeMultiple: 1)

    static func card(_ name: String, file: String, backbone: String, ap: String) -> ModelCard {
        ModelCard(name: name, family: "detr", task: .detection, input: input, classes: 80, folder: name, files: [WeightFile(file)],
                  source: .http(base: "https://dl.fbaipublicfiles.com/detr",
                                note: "facebookresearch/detr \(backbone) COCO checkpoint \(file), sha256 prefix in the name checked as torch.hub does; "
                                    + "VZ_WEIGHTS_MIRROR overrides the host; or `vz detect --model \(name) --weights FILE` with that .pth or an HF "
                                    + "DetrForObjectDetection model.safetensors (facebook/\(name.replacingOccurrences(of: "resnet", with: "resnet-")))"),
                  licence: "Apache-2.0 (facebookresearch/detr)",
                  accuracy: "COCO val2017 box AP \(ap) (facebookresearch/detr README, DETR \(backbone), 500 epochs)")
    }

    /// The zoo entries of the family: the two published DETR COCO models.
    public static let entries: [ModelEntry] = [
        ModelEntry(card: card("detr-resnet50", file: "detr-r50-e632da11.pth", backbone: "R50", ap: "42.0"),
                   factory: .detector { folder, card in try DETR.load(checkpoint: folder.appendingPathComponent(card.files[0].name), card: card, classNames: card.classNames) }),
        ModelEntry(card: card("detr-resnet101", file: "detr-r101-2c7b67e5.pth", backbone: "R101", ap: "43.5"),
                   factory: .detector { folder, card in try DETR.load(checkpoint: folder.appendingPathComponent(card.files[0].name), card: card, classNames: card.classNames) }),
    ]
}
