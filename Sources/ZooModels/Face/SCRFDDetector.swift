import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// SCRFD-500M as a `FaceDetector`. Port of InsightFace `python-package/insightface/model_zoo/scrfd.py`
/// (`SCRFD.detect`/`forward`): top-left canvas 640 × 640, RGB `(x − 127.5) / 128`; anchor centres
/// `(col·s, row·s)`, two per cell; `distance2bbox` and `distance2kps` with distances × stride; score ≥ 0.5;
/// NMS at IoU 0.4 with InsightFace's +1 pixel areas.
public final class SCRFDDetector: FaceDetector {
    public let name = "scrfd-500m"
    public let network: SCRFD
    public var inputWidth: Int, inputHeight: Int
    public var scoreThreshold: Float = 0.5
    public var nmsThreshold: Float = 0.4

    public init(network: SCRFD, inputWidth: Int = 640, inputHeight: Int = 640) throws {
        guard inputWidth > 0, inputHeight > 0, inputWidth % 32 == 0, inputHeight % 32 == 0 else {
            throw FaceInputError.badInput("scrfd: canvas \(inputWidth)×\(inputHeight) must be positive multiples of 32")
        }
        self.network = network; self.inputWidth = inputWidth; self.inputHeight = inputHeight
    }

    public convenience init(contentsOf url: URL, inputWidth: Int = 640, inputHeight: Int = 640) throws {
        try self.init(network: try SCRFD(contentsOf: url), inputWidth: inputWidth, inputHeight: inputHeight)
    }

    public func detect(_ image: Image) throws -> [FaceDetection] {
        guard image.width > 0, image.height > 0 else { throw FaceInputError.badInput("scrfd: empty image") }
        let (canvas, scale) = FaceDetectorCanvas.topLeft(image, width: inputWidth, height: inputHeight)
        let x = Tensor(zeros: [1, 3, inputHeight, inputWidth])
        canvas.writePlanar(into: x.pointer, order: .rgb, mean: (127.5, 127.5, 127.5), std: (128, 128, 128))
        return decode(network(x), scale: scale)
    }

    /// Decodes raw outputs of an `inputWidth × inputHeight` canvas; coordinates are divided by `scale`.
    public func decode(_ out: [String: Tensor], scale: Float) -> [FaceDetection] {
        var boxes: [Float] = [], scores: [Float] = [], marks: [Float] = []
        let a = SCRFD.anchorsPerCell
        for s in SCRFD.strides {
            guard let sc = out["score_\(s)"], let bb = out["bbox_\(s)"], let kp = out["kps_\(s)"] else { continue }
            let cols = inputWidth / s, rows = inputHeight / s
            let c = sc.pointer, b = bb.pointer, k = kp.pointer
            let sf = Float(s)
            for i in 0..<(rows * cols * a) where c[i] >= scoreThreshold {
                let cell = i / a
                let cx = Float(cell % cols) * sf, cy = Float(cell / cols) * sf
                boxes += [(cx - b[4 * i] * sf) / scale, (cy - b[4 * i + 1] * sf) / scale,
                          (cx + b[4 * i + 2] * sf) / scale, (cy + b[4 * i + 3] * sf) / scale]
                for n in 0..<5 {
                    marks.append((cx + k[10 * i + 2 * n] * sf) / scale)
                    marks.append((cy + k[10 * i + 2 * n + 1] * sf) / scale)
                }
                scores.append(c[i])
            }
        }
        guard !scores.isEmpty else { return [] }
        let keep = boxes.withUnsafeBufferPointer { bp in
            scores.withUnsafeBufferPointer { sp in
                NMS.indices(boxes: bp.baseAddress!, scores: sp.baseAddress!, count: scores.count,
                            threshold: nmsThreshold, pixelOffset: 1)
            }
        }
        return keep.map { FaceDetection(box: Array(boxes[4 * $0..<4 * $0 + 4]), score: scores[$0], landmarks: Array(marks[10 * $0..<10 * $0 + 10])) }
    }
}
