import Foundation
import ZooNN

/// SCRFD-500M (with keypoints) face detector = `MobileNetV1` (`.scrfd500m`) → `PAFPN` (16 channels) → `SCRFDHead`,
/// as exported by InsightFace (`scrfd_500m_bnkps.onnx`); weights imported from the ONNX initialisers by name with
/// every weighted node checked. Port of InsightFace `detection/scrfd` (mmdet `MobileNetV1`, `PAFPN`, `SCRFDHead`).
///
/// Input `N, 3, H, W` RGB normalised `(x − 127.5) / 128`, H and W multiples of 32; raw outputs as `SCRFDHead` says.
public enum SCRFD {
    public static let card = ModelCard(
        name: "scrfd-500m", family: "scrfd", task: .faceDetection,
        // InsightFace SCRFD.detect: top-left canvas 640 × 640, RGB, (x − 127.5) / 128.
        input: ModelInput(width: 640, height: 640, channelOrder: .rgb, scale: 1, mean: [127.5, 127.5, 127.5],
                          std: [128, 128, 128], resize: .letterbox, fill: 0, anchor: .topLeft, sizeMultiple: 32),
        classes: 1, folder: "scrfd",
        files: [WeightFile("scrfd_500m_bnkps.onnx", sha256: "6c6ba7956684796d7d582bfa1ab95dfe01dd280159f6bff1e23c1bc32bcc8431")],
        source: .user(note: "InsightFace scrfd_500m_bnkps.onnx (buffalo_sc); test-only copy in ../shared/data/weights/scrfd; use VZ_WEIGHTS_PATH=../shared/data/weights or `vz weights pull scrfd-500m --from DIR`"),
        licence: "InsightFace: non-commercial research only",
        accuracy: "WIDER Face val AP easy/medium/hard 0.892/0.885/0.819 (InsightFace)")

    public static func load(onnx url: URL) throws -> SingleStageDetector {
        let model = try ONNXModel(contentsOf: url)
        var w = ONNXWeightImporter(model)
        let backbone = try MobileNetV1(&w, .scrfd500m, path: "backbone")
        let neck = try PAFPN(&w, inputs: backbone.outputs, channels: 16)
        let head = try SCRFDHead(&w, inputs: neck.outputs)
        try w.finish()
        for n in model.nodes where n.opType == "Resize" {
            guard n.string("mode") == "nearest" else { throw ONNXError.mismatch("SCRFD Resize '\(n.outputs.first ?? "")' is not nearest") }
        }
        return SingleStageDetector(card: card, classNames: ["face"], backbone: backbone, neck: neck, head: head)
    }

    /// InsightFace's `SCRFD.detect` defaults: 640 × 640 canvas, score ≥ 0.5, NMS IoU 0.4.
    public static func detector(contentsOf url: URL, inputWidth: Int = 640, inputHeight: Int = 640) throws -> SingleStageFaceDetector {
        try SingleStageFaceDetector(network: load(onnx: url), scoreThreshold: 0.5, inputWidth: inputWidth, inputHeight: inputHeight)
    }
}
