import Foundation
import ZooNN

/// NanoDet-m = `ShuffleNetV2` (1.0×, torchvision layout) → `PAN` (96 channels) → `GFLHead` (RangiLyu/nanodet,
/// `config/nanodet-m.yml`), weights imported from its ONNX export with every weighted node checked.
public enum NanoDet {
    public static func load(onnx url: URL, card: ModelCard, classNames: [String] = COCOClassNames.names) throws -> SingleStageDetector {
        let model = try ONNXModel(contentsOf: url)
        var w = ONNXWeightImporter(model)
        let backbone = try ShuffleNetV2(&w, .nanodetM)
        let neck = try PAN(&w, inputs: backbone.outputs, channels: 96)
        let names = model.outputs
        let head = try GFLHead(&w, inputs: neck.outputs, classes: classNames.count, rawOutputNames: names)
        try w.finish()
        return SingleStageDetector(card: card, classNames: classNames, backbone: backbone, neck: neck, head: head)
    }

    public static let entries: [ModelEntry] = [
        ModelEntry(card: ModelCard(
            name: "nanodet-m", family: "nanodet", task: .detection,
            // NanoDet: stretch to 416 × 416, BGR, (x − mean) / std per channel (B, G, R order).
            input: ModelInput(width: 416, height: 416, channelOrder: .bgr, scale: 1, mean: [103.53, 116.28, 123.675],
                              std: [57.375, 57.12, 58.395], resize: .stretch, sizeMultiple: 32),
            classes: 80, folder: "nanodet-m",
            files: [WeightFile("nanodet_m.onnx", sha256: "4b82da9944b88577175ee23a459dce2e26e6e4be573def65b1055dc2d9720186")],
            source: .user(note: "RangiLyu/nanodet v0.x release asset nanodet_m.onnx; test-only copy in ../shared/data/weights/nanodet-m; use VZ_WEIGHTS_PATH=../shared/data/weights or `vz weights pull nanodet-m --from DIR`"),
            licence: "Apache-2.0 (RangiLyu/nanodet)",
            accuracy: "COCO val2017 AP 23.5 @416 (NanoDet README)"),
            factory: .detector { folder, card in
                try NanoDet.load(onnx: folder.appendingPathComponent("nanodet_m.onnx"), card: card)
            }),
    ]
}
