import Foundation
import ZooNN

/// YuNet-n face detector = `YuNetBackbone` → `TFPN` → `YuNetHead` (libfacedetection.train `YuNet`, exported to
/// ONNX as OpenCV Zoo's `face_detection_yunet_2023mar` / `yunet_n_*.onnx`), weights imported from the ONNX
/// initialisers by name with every weighted node checked.
///
/// Input `N, 3, H, W` BGR in 0…255 (no normalisation), H and W multiples of 32; raw outputs as `YuNetHead` says.
public enum YuNet {
    public static let card = ModelCard(
        name: "yunet", family: "yunet", task: .faceDetection,
        // OpenCV FaceDetectorYN with InsightFace's top-left canvas: one scale, BGR 0–255.
        input: ModelInput(width: 320, height: 320, channelOrder: .bgr, scale: 1, resize: .letterbox, fill: 0,
                          anchor: .topLeft, sizeMultiple: 32),
        classes: 1, folder: "yunet",
        files: [WeightFile("yunet_n_320_320.onnx", sha256: "81dbde155e982455488235acb8ec2dec5d647edf7cf7080d33e4abb69b93a0d2")],
        source: .user(note: "OpenCV Zoo face_detection_yunet_2023mar (yunet_n_320_320.onnx); test-only copy in ../shared/data/weights/yunet; use VZ_WEIGHTS_PATH=../shared/data/weights or `vz weights pull yunet --from DIR`"),
        licence: "Apache-2.0 (ShiqiYu/libfacedetection.train)",
        accuracy: "WIDER Face val AP easy/medium/hard 0.892/0.883/0.811 (OpenCV Zoo)")

    /// The network from an ONNX export (`yunet_n_320_320.onnx` or `yunet_n_dynamic.onnx`: same weights, same names).
    public static func load(onnx url: URL) throws -> SingleStageDetector {
        let model = try ONNXModel(contentsOf: url)
        var w = ONNXWeightImporter(model)
        let backbone = try YuNetBackbone(&w)
        let neck = try TFPN(&w, inputs: backbone.outputs)
        let head = try YuNetHead(&w, inputs: neck.outputs)
        try w.finish()
        // Structural constants: both Resize nodes upsample by exactly 2 (scales [1, 1, 2, 2]).
        for n in model.nodes where n.opType == "Resize" {
            guard n.string("mode") == "nearest", n.inputs.count >= 3, let s = model.initializers[n.inputs[2]],
                  s.floats == [1, 1, 2, 2] else {
                throw ONNXError.mismatch("YuNet Resize '\(n.outputs.first ?? "")' is not a nearest ×2 upsample")
            }
        }
        return SingleStageDetector(card: card, classNames: ["face"], backbone: backbone, neck: neck, head: head)
    }

    /// The face detector of OpenCV's `FaceDetectorYN` defaults: score ≥ 0.9, NMS IoU 0.3, top 5000, on a
    /// 320 × 320 canvas (what `yunet_n_320_320.onnx` was exported for).
    public static func detector(contentsOf url: URL, inputWidth: Int = 320, inputHeight: Int = 320) throws -> SingleStageFaceDetector {
        try SingleStageFaceDetector(network: load(onnx: url), scoreThreshold: 0.9, inputWidth: inputWidth, inputHeight: inputHeight)
    }
}
