import Foundation
import ZooDetect
import ZooImage
import ZooModels
import ZooNN

/// The one preprocessing contract of VisionZoo: RGB8 image → model input tensor `1, 3, H, W`, plus the
/// mapping of boxes back to the image. `vz detect`, `vz eval` and the HTTP service all go through it.
///
/// Resize modes: `.letterbox` keeps the aspect ratio (bilinear, `cv2.INTER_LINEAR` semantics) and centres the
/// image on a `fill` canvas (`Image.letterboxed`); `.stretch` resizes to `W × H` ignoring the aspect ratio, as
/// OpenCV's `blobFromImage(…, crop=false)`. Values: `(pixel · scale − mean[c]) / std[c]` in the model's channel order.
public struct Preprocess: Sendable {
    /// Model input facts (size possibly overridden).
    public let input: ModelInput
    public let resize: ModelInput.Resize

    /// `size` (square) overrides the model's input size and must be in `DetectorLimits.size` and a multiple of
    /// `input.sizeMultiple` (checked before anything is allocated);
    /// `resize` overrides its default resize mode.
    public init(input: ModelInput, size: Int? = nil, resize: ModelInput.Resize? = nil) throws {
        var spec = input
        if let size {
            guard DetectorLimits.size.contains(size), size % max(1, input.sizeMultiple) == 0 else {
                throw PreprocessError.badSize(size, multiple: input.sizeMultiple)
            }
            // `.shortestSide`: the size is the shorter side (torchvision's min_size); the longer keeps its bound.
            if spec.resize == .shortestSide { spec.height = size; spec.width = max(spec.width, size) } else { spec.width = size; spec.height = size }
        }
        self.input = spec
        self.resize = resize ?? input.resize
    }

    /// Tensor shape produced: `1, 3, H, W` (`.shortestSide`: the size bounds; the real shape is `shape(for:)`).
    public var shape: [Int] { [1, 3, input.height, input.width] }

    /// torchvision's transform for `.shortestSide`, with this input's normalisation.
    var rcnnTransform: GeneralizedRCNNTransform {
        var t = GeneralizedRCNNTransform(minSize: input.height, maxSize: input.width)
        t.mean = input.mean; t.std = input.std; t.sizeDivisible = max(1, input.sizeMultiple)
        return t
    }

    /// Tensor shape produced for `image`.
    public func shape(for image: Image) -> [Int] {
        resize == .shortestSide ? rcnnTransform.tensorShape(height: image.height, width: image.width) : shape
    }

    /// The part of the tensor that holds the image, `(height, width)` from the top-left (the rest is padding).
    public func content(for image: Image) -> (height: Int, width: Int) {
        resize == .shortestSide ? rcnnTransform.resizedSize(height: image.height, width: image.width) : (input.height, input.width)
    }

    /// Writes `image` into `tensor` (shape `shape(for: image)`) and returns the mapping back.
    public func apply(_ image: Image, into tensor: Tensor) -> InputTransform {
        precondition(tensor.shape == shape(for: image), "preprocess output \(tensor.shape), expected \(shape(for: image))")
        let w = input.width, h = input.height
        let resized: Image, transform: InputTransform
        switch resize {
        case .shortestSide:
            // Values are written by the transform itself (normalise, then resize the float planes, as torchvision).
            let r = rcnnTransform.apply(image, into: tensor)
            return InputTransform(scaleX: Float(r.width) / Float(image.width), scaleY: Float(r.height) / Float(image.height),
                                  padX: 0, padY: 0, originalWidth: image.width, originalHeight: image.height)
        case .letterbox:
            let (canvas, box) = image.letterboxed(width: w, height: h, fill: (input.fill, input.fill, input.fill),
                                                 anchor: input.anchor)
            resized = canvas
            transform = InputTransform(scaleX: box.scale, scaleY: box.scale, padX: box.padX, padY: box.padY,
                                       originalWidth: image.width, originalHeight: image.height)
        case .stretch:
            resized = (image.width == w && image.height == h) ? image : image.resized(width: w, height: h)
            transform = InputTransform(scaleX: Float(w) / Float(image.width), scaleY: Float(h) / Float(image.height),
                                       padX: 0, padY: 0, originalWidth: image.width, originalHeight: image.height)
        }
        let m = input.mean, s = input.std
        resized.writePlanar(into: tensor.pointer, order: input.channelOrder == .rgb ? .rgb : .bgr, scale: input.scale,
                            mean: (m[0], m[1], m[2]), std: (s[0], s[1], s[2]))
        return transform
    }

    /// Allocating form of `apply`.
    public func callAsFunction(_ image: Image) -> (tensor: Tensor, transform: InputTransform) {
        let t = Tensor(zeros: shape)
        return (t, apply(image, into: t))
    }
}

/// Maps boxes in model-input pixels back to the original image: `x = (x' − padX) / scaleX`.
public struct InputTransform: Sendable, Equatable {
    public var scaleX: Float, scaleY: Float, padX: Float, padY: Float
    public var originalWidth: Int, originalHeight: Int

    public init(scaleX: Float, scaleY: Float, padX: Float, padY: Float, originalWidth: Int, originalHeight: Int) {
        self.scaleX = scaleX; self.scaleY = scaleY; self.padX = padX; self.padY = padY
        self.originalWidth = originalWidth; self.originalHeight = originalHeight
    }

    /// The box in original-image pixels, clipped to the image.
    public func toOriginal(_ b: Box) -> Box {
        Box(x1: (b.x1 - padX) / scaleX, y1: (b.y1 - padY) / scaleY, x2: (b.x2 - padX) / scaleX, y2: (b.y2 - padY) / scaleY)
            .clipped(width: Float(originalWidth), height: Float(originalHeight))
    }
}

/// Bad preprocessing settings.
public enum PreprocessError: Error, CustomStringConvertible, LocalizedError {
    case badSize(Int, multiple: Int)
    public var description: String {
        switch self {
        case .badSize(let s, let m):
            return "size \(s): must be a multiple of \(m) in \(DetectorLimits.size.lowerBound)...\(DetectorLimits.size.upperBound)"
        }
    }
    public var errorDescription: String? { description }
}
