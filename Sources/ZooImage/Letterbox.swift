import Foundation

/// The geometry of a letterbox: an image scaled by one factor to fit `targetWidth × targetHeight` with its
/// aspect ratio kept, centred, and padded. Maps coordinates both ways (pixel-edge coordinates, x right, y down).
///
/// `scale = min(targetWidth / originalWidth, targetHeight / originalHeight)` (capped at 1 if upscaling is not
/// allowed); `resizedWidth = round(originalWidth · scale)` (same for height); the resized image's top-left corner
/// sits at (`padX`, `padY`) = (⌊(targetWidth − resizedWidth) / 2⌋, ⌊(targetHeight − resizedHeight) / 2⌋), as
/// Ultralytics' `letterbox` (`round(dw ∓ 0.1)`) places it — or at (0, 0) with truncated sizes (`Anchor.topLeft`).
public struct Letterbox: Sendable, Equatable {
    public let scale: Float
    public let padX: Float
    public let padY: Float
    public let originalWidth: Int
    public let originalHeight: Int
    public let resizedWidth: Int
    public let resizedHeight: Int
    public let targetWidth: Int
    public let targetHeight: Int

    /// Where the resized image sits on the canvas.
    public enum Anchor: String, Sendable, Codable {
        /// Centred, sizes rounded (darknet, Ultralytics).
        case center
        /// Top-left corner, sizes truncated as `int(w · r)` with `r` in double precision (YOLOX `preproc`,
        /// InsightFace SCRFD's canvas).
        case topLeft
    }
    public let anchor: Anchor

    /// The letterbox that fits `originalWidth × originalHeight` into `targetWidth × targetHeight`.
    public init(originalWidth: Int, originalHeight: Int, targetWidth: Int, targetHeight: Int, allowUpscale: Bool = true,
                anchor: Anchor = .center) {
        precondition(originalWidth > 0 && originalHeight > 0 && targetWidth > 0 && targetHeight > 0,
                     "letterbox needs positive sizes, got \(originalWidth)x\(originalHeight) → \(targetWidth)x\(targetHeight)")
        self.originalWidth = originalWidth
        self.originalHeight = originalHeight
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        self.anchor = anchor
        switch anchor {
        case .center:
            var s = min(Float(targetWidth) / Float(originalWidth), Float(targetHeight) / Float(originalHeight))
            if !allowUpscale { s = min(s, 1) }
            self.scale = s
            self.resizedWidth = min(targetWidth, max(1, Int((Float(originalWidth) * s).rounded())))
            self.resizedHeight = min(targetHeight, max(1, Int((Float(originalHeight) * s).rounded())))
            self.padX = Float((targetWidth - resizedWidth) / 2)
            self.padY = Float((targetHeight - resizedHeight) / 2)
        case .topLeft:
            var r = min(Double(targetWidth) / Double(originalWidth), Double(targetHeight) / Double(originalHeight))
            if !allowUpscale { r = min(r, 1) }
            self.scale = Float(r)
            self.resizedWidth = min(targetWidth, max(1, Int(Double(originalWidth) * r)))
            self.resizedHeight = min(targetHeight, max(1, Int(Double(originalHeight) * r)))
            self.padX = 0
            self.padY = 0
        }
    }

    /// A point in the letterboxed image → the original image.
    public func toOriginal(x: Float, y: Float) -> (Float, Float) { ((x - padX) / scale, (y - padY) / scale) }

    /// A point in the original image → the letterboxed image.
    public func toLetterboxed(x: Float, y: Float) -> (Float, Float) { (x * scale + padX, y * scale + padY) }

    /// A box `[x1, y1, x2, y2]` in the letterboxed image → the original image; with `clip`, clamped to
    /// `0...originalWidth` × `0...originalHeight`.
    public func toOriginal(box: [Float], clip: Bool = false) -> [Float] {
        precondition(box.count == 4, "box must be [x1, y1, x2, y2], got \(box.count) values")
        let (x1, y1) = toOriginal(x: box[0], y: box[1]), (x2, y2) = toOriginal(x: box[2], y: box[3])
        guard clip else { return [x1, y1, x2, y2] }
        let w = Float(originalWidth), h = Float(originalHeight)
        return [min(max(x1, 0), w), min(max(y1, 0), h), min(max(x2, 0), w), min(max(y2, 0), h)]
    }

    /// A box `[x1, y1, x2, y2]` in the original image → the letterboxed image.
    public func toLetterboxed(box: [Float]) -> [Float] {
        precondition(box.count == 4, "box must be [x1, y1, x2, y2], got \(box.count) values")
        let (x1, y1) = toLetterboxed(x: box[0], y: box[1]), (x2, y2) = toLetterboxed(x: box[2], y: box[3])
        return [x1, y1, x2, y2]
    }
}

extension Image {
    /// Scales the image to fit `width × height` keeping its aspect ratio (bilinear, as `resized`), centres it
    /// and pads with `fill` (default: YOLO grey 114). Returns the canvas and the mapping back to this image.
    public func letterboxed(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (114, 114, 114),
                            allowUpscale: Bool = true, anchor: Letterbox.Anchor = .center) -> (Image, Letterbox) {
        let box = Letterbox(originalWidth: self.width, originalHeight: self.height, targetWidth: width,
                            targetHeight: height, allowUpscale: allowUpscale, anchor: anchor)
        let inner = resized(width: box.resizedWidth, height: box.resizedHeight)
        var canvas = Image(width: width, height: height, fill: fill)
        canvas.paste(inner, x: Int(box.padX), y: Int(box.padY))
        return (canvas, box)
    }

    /// Copies `other` into this image with its top-left corner at (x, y), clipped to this image.
    public mutating func paste(_ other: Image, x: Int, y: Int) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x + other.width), y1 = min(height, y + other.height)
        guard x0 < x1, y0 < y1 else { return }
        let w = width, ow = other.width
        other.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for row in y0..<y1 {
                    let s = src.baseAddress! + ((row - y) * ow + (x0 - x)) * 3
                    (dst.baseAddress! + (row * w + x0) * 3).update(from: s, count: (x1 - x0) * 3)
                }
            }
        }
    }
}
