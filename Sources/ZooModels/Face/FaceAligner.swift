import ZooImage

/// Aligns a detected face onto a recogniser's chip: similarity transform from the five landmarks to the
/// embedder's template, then a bilinear warp.
///
/// Coordinates are pixel-centre based (pixel (x, y) is the point (x, y)), as OpenCV's `warpAffine` and dlib's
/// `extract_image_chip`. Chip pixels that map outside the image are black (OpenCV's default constant border).
public enum FaceAligner {
    /// InsightFace's ArcFace 112×112 five-point template (`arcface_dst` in insightface/utils/face_align.py):
    /// left eye, right eye, nose tip, left and right mouth corners (left = image left).
    public static let arcface112: [Float] = [38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366,
                                             41.5493, 92.3655, 70.7299, 92.2041]

    /// The same five points on dlib's 150×150 recognition chip (`get_face_chip_details(det, 150, 0.25)`).
    ///
    /// dlib places a chip by fitting its mean face (68-point layout, points 17–67, in a unit square) scaled as
    /// `(0.25 + v) / 1.5 · 150 = (0.25 + v) · 100`; its 5-point predictor's points (eye corners, nose base) are
    /// that frame too. Our detectors give eye centres, nose tip and mouth corners, so we take the mean face's
    /// eye centres (means of points 36–41 and 42–47: (0.225492, 0.215990), (0.754761, 0.215990)), nose tip
    /// (point 30: (0.490127, 0.515625)) and mouth corners (points 48, 54: (0.254149, 0.780233),
    /// (0.726104, 0.780233)) and map them the same way.
    public static let dlib150: [Float] = [47.5492, 46.5990, 100.4761, 46.5990, 74.0127, 76.5625,
                                          50.4149, 103.0233, 97.6104, 103.0233]

    /// The transform from image pixels to chip pixels for `landmarks` (10 values) and `template`.
    public static func transform(landmarks: [Float], template: [Float]) -> SimilarityTransform? {
        SimilarityTransform.estimate(from: landmarks, to: template)
    }

    /// Warps `image` into a `width × height` chip so that `landmarks` land on `template` (least squares).
    /// Returns `nil` when the landmarks are degenerate (all equal).
    public static func align(_ image: Image, landmarks: [Float], template: [Float], width: Int, height: Int) -> Image? {
        guard let t = transform(landmarks: landmarks, template: template) else { return nil }
        return warp(image, imageToChip: t, width: width, height: height)
    }

    /// Bilinear warp: chip pixel (u, v) samples the image at `imageToChip⁻¹(u, v)`; outside is black.
    public static func warp(_ image: Image, imageToChip t: SimilarityTransform, width: Int, height: Int) -> Image? {
        guard let inv = t.inverse else { return nil }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let w = image.width, h = image.height
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for v in 0..<height {
                    for u in 0..<width {
                        let (sx, sy) = inv.apply(Double(u), Double(v))
                        var acc: (Float, Float, Float) = (0, 0, 0)
                        if sx > -1 && sy > -1 && sx < Double(w) && sy < Double(h) {
                            let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                            let fx = Float(sx - Double(x0)), fy = Float(sy - Double(y0))
                            // The four neighbours with their weights; those outside the image contribute black.
                            @inline(__always) func add(_ x: Int, _ y: Int, _ wgt: Float) {
                                guard wgt > 0, x >= 0, x < w, y >= 0, y < h else { return }
                                let p = (y * w + x) * 3
                                acc.0 += wgt * Float(src[p]); acc.1 += wgt * Float(src[p + 1]); acc.2 += wgt * Float(src[p + 2])
                            }
                            add(x0, y0, (1 - fx) * (1 - fy)); add(x0 + 1, y0, fx * (1 - fy))
                            add(x0, y0 + 1, (1 - fx) * fy); add(x0 + 1, y0 + 1, fx * fy)
                        }
                        let o = (v * width + u) * 3
                        dst[o] = UInt8(max(0, min(255, acc.0.rounded())))
                        dst[o + 1] = UInt8(max(0, min(255, acc.1.rounded())))
                        dst[o + 2] = UInt8(max(0, min(255, acc.2.rounded())))
                    }
                }
            }
        }
        return Image(width: width, height: height, pixels: out)
    }
}
