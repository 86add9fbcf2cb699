import ZooImage

/// A face found by a detector: box and the five landmarks in pixels of the input image.
///
/// Landmark order (as MTCNN, RetinaFace, SCRFD, YuNet): left eye, right eye, nose tip, left mouth corner,
/// right mouth corner — "left" meaning the left side of the picture.
public struct FaceDetection: Sendable, Equatable, Codable {
    /// Corners x1, y1, x2, y2 in pixels.
    public var box: [Float]
    public var score: Float
    /// Five (x, y) points, flattened: [x0, y0, x1, y1, …, x4, y4].
    public var landmarks: [Float]

    public init(box: [Float], score: Float, landmarks: [Float]) {
        precondition(box.count == 4 && landmarks.count == 10, "a face needs 4 box values and 10 landmark values")
        self.box = box; self.score = score; self.landmarks = landmarks
    }

    /// Box area in square pixels.
    public var area: Float { max(0, box[2] - box[0]) * max(0, box[3] - box[1]) }
}

/// Finds faces with five landmarks in an RGB image.
public protocol FaceDetector {
    /// The zoo name, e.g. `mtcnn`, `yunet`, `scrfd-500m`.
    var name: String { get }
    /// Faces sorted by descending score.
    func detect(_ image: Image) throws -> [FaceDetection]
}

/// Channel order a network expects.
public enum ChannelOrder: String, Sendable, Codable { case rgb, bgr }

/// Turns an aligned face chip into an L2-normalised embedding.
public protocol FaceEmbedder {
    /// The zoo name, e.g. `mobilefacenet-arcface`, `dlib-resnet`, `iresnet50`.
    var name: String { get }
    /// Chip size in pixels (width, height), e.g. 112×112 for ArcFace models, 150×150 for dlib.
    var inputSize: (width: Int, height: Int) { get }
    /// The five landmark positions (same order as `FaceDetection.landmarks`) in chip pixels that alignment maps
    /// the detected landmarks onto, flattened [x0, y0, …, x4, y4].
    var template: [Float] { get }
    /// Colour order and normalisation are the embedder's business; callers pass RGB chips of `inputSize`.
    func embed(_ chip: Image) throws -> [Float]
}
