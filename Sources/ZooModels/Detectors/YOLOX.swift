import Foundation
import ZooImage
import ZooNN

/// YOLOX = `CSPDarknet` → `YOLOPAFPN` → `YOLOXHead` (Ge et al. 2021, Megvii-BaseDetection/YOLOX
/// `yolox/models/yolox.py`), weights imported from the ONNX export (`tools/export_onnx.py`, BN folded,
/// `decode_in_inference=False`) with every weighted node checked by op, shape and geometry.
public enum YOLOX {
    /// Builds the detector from an ONNX export of the given variant.
    public static func load(onnx url: URL, card: ModelCard, config: CSPDarknet.Config = .nano,
                            classNames: [String] = COCOClassNames.names) throws -> SingleStageDetector {
        let model = try ONNXModel(contentsOf: url)
        var w = ONNXWeightImporter(model)
        let backbone = try CSPDarknet(&w, config)
        let neck = try YOLOPAFPN(&w, inputs: backbone.outputs, depth: config.depth, depthwise: config.depthwise)
        let head = try YOLOXHead(&w, inputs: neck.outputs, classes: classNames.count, width: config.width,
                                 depthwise: config.depthwise)
        try w.finish()
        for n in model.nodes where n.opType == "Resize" {
            guard n.string("mode") == "nearest" else {
                throw ONNXError.mismatch("\(url.lastPathComponent): Resize '\(n.outputs.first ?? "")' is not a nearest upsample")
            }
        }
        return SingleStageDetector(card: card, classNames: classNames, backbone: backbone, neck: neck, head: head)
    }

    /// The zoo entries of the family.
    public static let entries: [ModelEntry] = [
        ModelEntry(card: ModelCard(
            name: "yolox-nano", family: "yolox", task: .detection,
            // YOLOX `preproc`: top-left letterbox on a 114 canvas, BGR 0–255, no normalisation.
            input: ModelInput(width: 416, height: 416, channelOrder: .bgr, scale: 1, resize: .letterbox, fill: 114,
                              anchor: .topLeft, sizeMultiple: 32),
            classes: 80, folder: "yolox-nano",
            files: [WeightFile("yolox_nano.onnx", sha256: "e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd")],
            source: .user(note: "YOLOX 0.1.1rc0 release asset yolox_nano.onnx; test-only copy in ../shared/data/weights/yolox-nano; use VZ_WEIGHTS_PATH=../shared/data/weights or `vz weights pull yolox-nano --from DIR`"),
            licence: "Apache-2.0 (Megvii-BaseDetection/YOLOX)",
            accuracy: "COCO val2017 AP 25.8 @416 (YOLOX README)"),
            factory: .detector { folder, card in
                try YOLOX.load(onnx: folder.appendingPathComponent("yolox_nano.onnx"), card: card, config: .nano)
            }),
    ]
}
