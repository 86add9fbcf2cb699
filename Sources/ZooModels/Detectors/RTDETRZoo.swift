import Foundation

extension RTDETR {
    /// `RTDetrImageProcessor` geometry: stretched to 640 × 640 (no letterbox, no padding), RGB / 255, no normalisation.
    static let input = ModelInput(width: 640, height: 640, channelOrder: .rgb, scale: 1.0 / 255, resize: .stretch, sizeMultiple: 32)

    static func card(_ name: String, hub: String, backbone: String, ap: String) -> ModelCard {
        ModelCard(name: name, family: "rt-detr", task: .detection, input: input, classes: 80, folder: name, files: [WeightFile("model.safetensors")],
                  source: .user(note: "Hugging Face \(hub) model.safetensors (RTDetrForObjectDetection, transformers 5.x key names): "
                                    + "`vz weights pull \(name) --from DIR` or `vz detect --model \(name) --weights FILE`"),
                  licence: "Apache-2.0 (lyuwenyu/RT-DETR, \(hub))",
                  accuracy: "COCO val2017 box AP \(ap) (RT-DETR paper / lyuwenyu/RT-DETR README, RT-DETR-\(backbone), 640×640)")
    }

    /// The zoo entries of the family: the two PekingU RT-DETR COCO models.
    public static let entries: [ModelEntry] = [
        ModelEntry(card: card("rtdetr-r18vd", hub: "PekingU/rtdetr_r18vd", backbone: "R18", ap: "46.5"),
                   factory: .detector { folder, card in try RTDETR.load(checkpoint: folder.appendingPathComponent(card.files[0].name), card: card, classNames: card.classNames) }),
        ModelEntry(card: card("rtdetr-r50vd", hub: "PekingU/rtdetr_r50vd", backbone: "R50", ap: "53.1"),
                   factory: .detector { folder, card in try RTDETR.load(checkpoint: folder.appendingPathComponent(card.files[0].name), card: card, classNames: card.classNames) }),
    ]
}
