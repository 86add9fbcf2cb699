import Foundation
import ZooNN

/// FastestDet = `ShuffleNetV2` → `FastestDetNeck` (multi-scale concat + SPP) → `FastestDetHead` (dog-qiuqiu/FastestDet
/// `module/detector.py`), weights imported from its ONNX export (BN folded) with every weighted node checked.
public enum FastestDet {
    public static func load(onnx url: URL, card: ModelCard, classNames: [String] = COCOClassNames.names) throws -> SingleStageDetector {
        let model = try ONNXModel(contentsOf: url)
        var w = ONNXWeightImporter(model)
        let backbone = try ShuffleNetV2(&w, .fastestDet)
        let neck = try FastestDetNeck(&w, inputs: backbone.outputs)
        let head = try FastestDetHead(&w, inputs: neck.outputs, classes: classNames.count)
        try w.finish()
        return SingleStageDetector(card: card, classNames: classNames, backbone: backbone, neck: neck, head: head)
    }

    public static let entries: [ModelEntry] = [
        ModelEntry(card: ModelCard(
            name: "fastestdet", family: "fastestdet", task: .detection,
            // FastestDet's runtime example: cv2.resize to 352 × 352 (stretch), BGR, / 255.
            input: ModelInput(width: 352, height: 352, channelOrder: .bgr, scale: 1.0 / 255, resize: .stretch, sizeMultiple: 32),
            classes: 80, folder: "fastestdet",
            files: [WeightFile("FastestDet.onnx", sha256: "31cb14c017fce347cb4c846ec62fdf00d76bb3beecdf4be21e7116ac67feb880")],
            source: .user(note: "dog-qiuqiu/FastestDet example/onnx-runtime/FastestDet.onnx; test-only copy in ../shared/data/weights/fastestdet; use VZ_WEIGHTS_PATH=../shared/data/weights or `vz weights pull fastestdet --from DIR`"),
            licence: "BSD-3-Clause (dog-qiuqiu/FastestDet)",
            accuracy: "COCO val2017 AP50 25.3, AP 13.0 @352 (FastestDet README)"),
            factory: .detector { folder, card in
                try FastestDet.load(onnx: folder.appendingPathComponent("FastestDet.onnx"), card: card)
            }),
    ]
}
