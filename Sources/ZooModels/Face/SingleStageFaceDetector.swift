import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// A face detector composed of modules: the image on a top-left canvas (`FaceDetectorCanvas`, one scale factor),
/// the card's pixel normalisation, a `SingleStageDetector` (backbone → neck → head; the head offers each face
/// box with its five landmarks, in canvas pixels), then — mapped back to image pixels — the post-processing the
/// head declares (NMS at its IoU, with its pixel convention and cap). YuNet, SCRFD and RetinaFace are instances.
///
/// Thread-safe: calls are serialised (the network plans its buffers once and reuses them).
public final class SingleStageFaceDetector: FaceDetector {
    public var name: String { network.card.name }
    public let network: SingleStageDetector
    /// Canvas size (positive multiples of 32). The weights are size-independent: larger canvases find smaller faces.
    public let inputWidth: Int, inputHeight: Int
    /// Faces need a score ≥ this.
    public var scoreThreshold: Float
    /// NMS IoU threshold (default: the one the head declares).
    public var nmsThreshold: Float
    private let lock = NSLock()

    /// `inputWidth` × `inputHeight` default to the card's input size.
    public init(network: SingleStageDetector, scoreThreshold: Float, inputWidth: Int? = nil, inputHeight: Int? = nil) throws {
        let w = inputWidth ?? network.card.input.width, h = inputHeight ?? network.card.input.height
        guard w > 0, h > 0, w % 32 == 0, h % 32 == 0, w <= 8192, h <= 8192 else {
            throw FaceInputError.badInput("\(network.card.name): canvas \(w)×\(h) must be positive multiples of 32 up to 8192")
        }
        self.network = network; self.inputWidth = w; self.inputHeight = h
        self.scoreThreshold = scoreThreshold
        if case .nms(_, let iou, _, _) = network.postprocessing, let iou { nmsThreshold = iou } else { nmsThreshold = 0.45 }
    }

    public func detect(_ image: Image) throws -> [FaceDetection] {
        guard image.width > 0, image.height > 0 else { throw FaceInputError.badInput("\(name): empty image") }
        let (canvas, scale) = FaceDetectorCanvas.topLeft(image, width: inputWidth, height: inputHeight)
        let x = Tensor(zeros: [1, 3, inputHeight, inputWidth])
        let input = network.card.input
        canvas.writePlanar(into: x.pointer, order: input.channelOrder == .rgb ? .rgb : .bgr, scale: input.scale,
                           mean: (input.mean[0], input.mean[1], input.mean[2]), std: (input.std[0], input.std[1], input.std[2]))
        lock.lock(); defer { lock.unlock() }
        return decode(try network.forward(x), scale: scale)
    }

    /// Decodes raw head outputs of an `inputWidth × inputHeight` canvas; coordinates are divided by `scale`
    /// (canvas pixels per image pixel) before NMS, as the reference pipelines do.
    public func decode(_ raw: [Tensor], scale: Float) -> [FaceDetection] {
        // The references keep score >= threshold; the collector keeps score > its confidence.
        var collector = CandidateCollector(confidence: scoreThreshold.nextDown, limit: .max)
        network.head.decode(raw, inputHeight: inputHeight, inputWidth: inputWidth, into: &collector)
        let candidates = collector.detections().map { d -> Detection in
            let b = d.box
            return Detection(box: Box(x1: b.x1 / scale, y1: b.y1 / scale, x2: b.x2 / scale, y2: b.y2 / scale),
                             score: d.score, classID: 0, keypoints: d.keypoints?.map { $0 / scale })
        }
        return network.postprocessing.apply(candidates, iou: nmsThreshold).map {
            FaceDetection(box: $0.box.corners, score: $0.score, landmarks: $0.keypoints ?? [Float](repeating: 0, count: 10))
        }
    }
}
