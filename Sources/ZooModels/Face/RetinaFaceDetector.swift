import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// RetinaFace-mnet0.25 as a `FaceDetector`. Port of Pytorch_Retinaface `detect.py` + `utils/box_utils.py`
/// (`decode`, `decode_landm`, variances 0.1 / 0.2): BGR minus (104, 117, 123) on the top-left 640 × 640 canvas,
/// keep face probability ≥ 0.6 (`vis_thres`), NMS at IoU 0.4 with +1 pixel areas (`py_cpu_nms`).
public final class RetinaFaceDetector: FaceDetector {
    public let name = "retinaface-mnet025"
    public let network: RetinaFace
    public var inputWidth: Int, inputHeight: Int
    public var scoreThreshold: Float = 0.6
    public var nmsThreshold: Float = 0.4
    private let priors: [Float]

    public init(network: RetinaFace, inputWidth: Int = 640, inputHeight: Int = 640) throws {
        guard inputWidth > 0, inputHeight > 0, inputWidth % 32 == 0, inputHeight % 32 == 0 else {
            throw FaceInputError.badInput("retinaface: canvas \(inputWidth)×\(inputHeight) must be positive multiples of 32")
        }
        self.network = network; self.inputWidth = inputWidth; self.inputHeight = inputHeight
        priors = RetinaFacePriors.make(width: inputWidth, height: inputHeight)
    }

    public convenience init(contentsOf url: URL, inputWidth: Int = 640, inputHeight: Int = 640) throws {
        try self.init(network: try RetinaFace(contentsOf: url), inputWidth: inputWidth, inputHeight: inputHeight)
    }

    public func detect(_ image: Image) throws -> [FaceDetection] {
        guard image.width > 0, image.height > 0 else { throw FaceInputError.badInput("retinaface: empty image") }
        let (canvas, scale) = FaceDetectorCanvas.topLeft(image, width: inputWidth, height: inputHeight)
        let x = Tensor(zeros: [1, 3, inputHeight, inputWidth])
        canvas.writePlanar(into: x.pointer, order: .bgr, mean: (104, 117, 123))
        return decode(network(x), scale: scale)
    }

    /// Decodes raw outputs of an `inputWidth × inputHeight` canvas; coordinates are divided by `scale`.
    public func decode(_ out: [String: Tensor], scale: Float) -> [FaceDetection] {
        guard let loc = out["loc"], let conf = out["conf"], let marks = out["iou"] else { return [] }
        let k = priors.count / 4
        precondition(loc.shape == [1, k, 4], "RetinaFace: loc \(loc.shape) does not fit \(k) priors")
        let l = loc.pointer, c = conf.pointer, m = marks.pointer
        let w = Float(inputWidth), h = Float(inputHeight)
        var boxes: [Float] = [], scores: [Float] = [], points: [Float] = []
        for i in 0..<k where c[2 * i + 1] >= scoreThreshold {
            let pcx = priors[4 * i], pcy = priors[4 * i + 1], pw = priors[4 * i + 2], ph = priors[4 * i + 3]
            let cx = pcx + l[4 * i] * 0.1 * pw, cy = pcy + l[4 * i + 1] * 0.1 * ph
            let bw = pw * Foundation.exp(l[4 * i + 2] * 0.2), bh = ph * Foundation.exp(l[4 * i + 3] * 0.2)
            let x1 = cx - bw / 2, y1 = cy - bh / 2
            boxes += [x1 * w / scale, y1 * h / scale, (x1 + bw) * w / scale, (y1 + bh) * h / scale]
            for n in 0..<5 {
                points.append((pcx + m[10 * i + 2 * n] * 0.1 * pw) * w / scale)
                points.append((pcy + m[10 * i + 2 * n + 1] * 0.1 * ph) * h / scale)
            }
            scores.append(c[2 * i + 1])
        }
        guard !scores.isEmpty else { return [] }
        let keep = boxes.withUnsafeBufferPointer { bp in
            scores.withUnsafeBufferPointer { sp in
                NMS.indices(boxes: bp.baseAddress!, scores: sp.baseAddress!, count: scores.count,
                            threshold: nmsThreshold, pixelOffset: 1)
            }
        }
        return keep.map { FaceDetection(box: Array(boxes[4 * $0..<4 * $0 + 4]), score: scores[$0], landmarks: Array(points[10 * $0..<10 * $0 + 10])) }
    }
}
