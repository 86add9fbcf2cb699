import Foundation
import ZooImage
import ZooNN

/// torchvision's `GeneralizedRCNNTransform` at inference: RGB bytes → `/255` → ImageNet mean/std → bilinear
/// resize (`F.interpolate(scale_factor=s, recompute_scale_factor=True, align_corners=False)`, `s = min(minSize /
/// shorter side, maxSize / longer side)`, output size `⌊side · s⌋`) → zero-padded at the bottom/right to a
/// multiple of 32. Output `1, 3, H32, W32`; the resized image occupies the top-left `height × width`.
/// Port of torchvision `models/detection/transform.py` (`normalize`, `resize`, `batch_images`).
public struct GeneralizedRCNNTransform: Sendable, Equatable {
    public var minSize: Int, maxSize: Int
    public var mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
    public var sizeDivisible = 32

    public init(minSize: Int = 800, maxSize: Int = 1333) { self.minSize = minSize; self.maxSize = maxSize }

    /// The resized (unpadded) size `(height, width)` of an `h × w` image.
    public func resizedSize(height h: Int, width w: Int) -> (height: Int, width: Int) {
        let scale = Swift.min(Double(minSize) / Double(Swift.min(h, w)), Double(maxSize) / Double(Swift.max(h, w)))
        return (Swift.max(1, Int((Double(h) * scale).rounded(.down))), Swift.max(1, Int((Double(w) * scale).rounded(.down))))
    }

    /// The padded tensor shape for an `h × w` image.
    public func tensorShape(height h: Int, width w: Int) -> [Int] {
        let r = resizedSize(height: h, width: w), d = sizeDivisible
        return [1, 3, (r.height + d - 1) / d * d, (r.width + d - 1) / d * d]
    }

    /// Writes `image` into `tensor` (shape `tensorShape(height:width:)`); returns the resized size.
    @discardableResult
    public func apply(_ image: Image, into tensor: Tensor, workspace: Workspace = Workspace()) -> (height: Int, width: Int) {
        precondition(tensor.shape == tensorShape(height: image.height, width: image.width), "GeneralizedRCNNTransform: tensor \(tensor.shape)")
        let r = resizedSize(height: image.height, width: image.width)
        let src = Tensor(zeros: [1, 3, image.height, image.width])
        image.writePlanar(into: src.pointer, order: .rgb, scale: 1.0 / 255, mean: (mean[0], mean[1], mean[2]), std: (std[0], std[1], std[2]))
        let resized = Upsample(size: (r.height, r.width), mode: .bilinear(alignCorners: false))(src)
        let H = tensor.shape[2], W = tensor.shape[3]
        tensor.buffer.update(repeating: 0)
        for c in 0..<3 {
            for y in 0..<r.height {
                (tensor.pointer + (c * H + y) * W).update(from: resized.pointer + (c * r.height + y) * r.width, count: r.width)
            }
        }
        return r
    }
}
