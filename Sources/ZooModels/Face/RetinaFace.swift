import Foundation
import ZooNN

/// RetinaFace with a MobileNet-0.25 backbone = `MobileNetV1` (`.retinaFace025`) → `RetinaFaceFPN` (FPN + SSH) →
/// `RetinaFaceHead` (`retinaface_mbnet0.25.onnx`, exported from biubug6's Pytorch_Retinaface), weights imported
/// from the ONNX initialisers by name with every weighted node checked. Port of Pytorch_Retinaface `models/net.py`
/// and `models/retinaface.py`.
///
/// Input `N, 3, H, W` **BGR** minus the mean (104, 117, 123), no scaling; raw outputs as `RetinaFaceHead` says.
public enum RetinaFace {
    public static let card = ModelCard(
        name: "retinaface-mnet025", family: "retinaface", task: .faceDetection,
        // Pytorch_Retinaface detect.py: BGR − (104, 117, 123), here on the top-left 640 × 640 canvas.
        input: ModelInput(width: 640, height: 640, channelOrder: .bgr, scale: 1, mean: [104, 117, 123],
                          resize: .letterbox, fill: 0, anchor: .topLeft, sizeMultiple: 32),
        classes: 1, folder: "retinaface",
        files: [WeightFile("retinaface_mbnet0.25.onnx", sha256: "13a69f2cb3012162ccce8466b1cd9e445ae1337ae641f31c90419e6179f13650")],
        source: .user(note: "biubug6/Pytorch_Retinaface mobilenet0.25 exported to ONNX; test-only copy in ../shared/data/weights/retinaface; use VZ_WEIGHTS_PATH=../shared/data/weights or `vz weights pull retinaface-mnet025 --from DIR`"),
        licence: "MIT (biubug6/Pytorch_Retinaface)",
        accuracy: "WIDER Face val AP easy/medium/hard 0.907/0.883/0.742 (Pytorch_Retinaface README)")

    public static func load(onnx url: URL) throws -> SingleStageDetector {
        let model = try ONNXModel(contentsOf: url)
        var w = ONNXWeightImporter(model)
        let backbone = try MobileNetV1(&w, .retinaFace025, path: "body")
        let neck = try RetinaFaceFPN(&w, inputs: backbone.outputs)
        let head = try RetinaFaceHead(&w, inputs: neck.outputs)
        try w.finish()
        for n in model.nodes where n.opType == "LeakyRelu" {
            guard let a = n.float("alpha"), abs(a - 0.1) < 1e-6 else { throw ONNXError.mismatch("RetinaFace LeakyRelu '\(n.outputs.first ?? "")' alpha is not 0.1") }
        }
        return SingleStageDetector(card: card, classNames: ["face"], backbone: backbone, neck: neck, head: head)
    }

    /// Pytorch_Retinaface `detect.py` defaults on a 640 × 640 canvas: face probability ≥ 0.6 (`vis_thres`), NMS IoU 0.4.
    public static func detector(contentsOf url: URL, inputWidth: Int = 640, inputHeight: Int = 640) throws -> SingleStageFaceDetector {
        try SingleStageFaceDetector(network: load(onnx: url), scoreThreshold: 0.6, inputWidth: inputWidth, inputHeight: inputHeight)
    }
}
