import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// YuNet-n as a `FaceDetector`: canvas, network, decoding and NMS.
/// Port of OpenCV `FaceDetectorYN` (`modules/objdetect/src/face_detect.cpp`, `postProcess` for the 2023 model):
/// per cell `score = √(clamp(cls) · clamp(obj))`, centre `((col + dx)·s, (row + dy)·s)`, size `exp(dw)·s ×
/// exp(dh)·s`, landmarks `((col + kx)·s, (row + ky)·s)`; OpenCV's defaults: score ≥ 0.9, IoU NMS 0.3, top 5000.
public final class YuNetDetector: FaceDetector {
    public let name = "yunet"
    public let network: YuNet
    /// Canvas size (multiples of 32); default 320 × 320, what `yunet_n_320_320.onnx` was exported for. The weights
    /// are size-independent, so larger canvases find smaller faces.
    public var inputWidth: Int, inputHeight: Int
    public var scoreThreshold: Float = 0.9
    public var nmsThreshold: Float = 0.3
    public var topK = 5000

    public init(network: YuNet, inputWidth: Int = 320, inputHeight: Int = 320) throws {
        guard inputWidth > 0, inputHeight > 0, inputWidth % 32 == 0, inputHeight % 32 == 0 else {
            throw FaceInputError.badInput("yunet: canvas \(inputWidth)×\(inputHeight) must be positive multiples of 32")
        }
        self.network = network; self.inputWidth = inputWidth; self.inputHeight = inputHeight
    }

    public convenience init(contentsOf url: URL, inputWidth: Int = 320, inputHeight: Int = 320) throws {
        try self.init(network: try YuNet(contentsOf: url), inputWidth: inputWidth, inputHeight: inputHeight)
    }

    public func detect(_ image: Image) throws -> [FaceDetection] {
        guard image.width > 0, image.height > 0 else { throw FaceInputError.badInput("yunet: empty image") }
        let (canvas, scale) = FaceDetectorCanvas.topLeft(image, width: inputWidth, height: inputHeight)
        let x = Tensor(zeros: [1, 3, inputHeight, inputWidth])
        canvas.writePlanar(into: x.pointer, order: .bgr)          // BGR, 0…255
        return decode(network(x), scale: scale)
    }

    /// Decodes raw outputs of a `inputWidth × inputHeight` canvas; coordinates are divided by `scale`.
    public func decode(_ out: [String: Tensor], scale: Float) -> [FaceDetection] {
        var boxes: [Float] = [], scores: [Float] = [], marks: [Float] = []
        for s in YuNet.strides {
            guard let cls = out["cls_\(s)"], let obj = out["obj_\(s)"], let bb = out["bbox_\(s)"], let kp = out["kps_\(s)"] else { continue }
            let cols = inputWidth / s, rows = inputHeight / s
            let c = cls.pointer, o = obj.pointer, b = bb.pointer, k = kp.pointer
            let sf = Float(s)
            for r in 0..<rows {
                for col in 0..<cols {
                    let i = r * cols + col
                    let score = (min(max(c[i], 0), 1) * min(max(o[i], 0), 1)).squareRoot()
                    guard score >= scoreThreshold else { continue }
                    let cx = (Float(col) + b[4 * i]) * sf, cy = (Float(r) + b[4 * i + 1]) * sf
                    let w = Foundation.exp(b[4 * i + 2]) * sf, h = Foundation.exp(b[4 * i + 3]) * sf
                    boxes += [(cx - w / 2) / scale, (cy - h / 2) / scale, (cx + w / 2) / scale, (cy + h / 2) / scale]
                    for n in 0..<5 {
                        marks.append((Float(col) + k[10 * i + 2 * n]) * sf / scale)
                        marks.append((Float(r) + k[10 * i + 2 * n + 1]) * sf / scale)
                    }
                    scores.append(score)
                }
            }
        }
        guard !scores.isEmpty else { return [] }
        let keep = boxes.withUnsafeBufferPointer { bp in
            scores.withUnsafeBufferPointer { sp in
                NMS.indices(boxes: bp.baseAddress!, scores: sp.baseAddress!, count: scores.count,
                            threshold: nmsThreshold, maxDetections: topK)
            }
        }
        return keep.map { FaceDetection(box: Array(boxes[4 * $0..<4 * $0 + 4]), score: scores[$0], landmarks: Array(marks[10 * $0..<10 * $0 + 10])) }
    }
}
