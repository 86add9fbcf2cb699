import Foundation

/// Conversion to a model's planar float input.
extension Image {
    /// Writes this image as planar floats `N=1, C=3, H, W` into `dst` (`3 · height · width` floats):
    /// plane `c` holds channel `order[c]`, `value = (pixel · scale − mean[c]) / std[c]`.
    /// `mean` and `std` are given per output plane (in `order`'s order). Evaluated through three 256-entry
    /// tables, so each value is exactly the Float expression above.
    public func writePlanar(into dst: UnsafeMutablePointer<Float>, order: PixelOrder, scale: Float = 1,
                            mean: (Float, Float, Float) = (0, 0, 0), std: (Float, Float, Float) = (1, 1, 1)) {
        let plane = width * height
        guard plane > 0 else { return }
        // lut[c * 256 + v] = value of plane c for byte v.
        var lut = [Float](repeating: 0, count: 768)
        let means = [mean.0, mean.1, mean.2], stds = [std.0, std.1, std.2]
        for c in 0..<3 { for v in 0..<256 { lut[c * 256 + v] = (Float(v) * scale - means[c]) / stds[c] } }
        // Source byte offset of plane c within a pixel.
        let s0 = order == .rgb ? 0 : 2, s2 = order == .rgb ? 2 : 0
        lut.withUnsafeBufferPointer { lp in
            pixels.withUnsafeBufferPointer { pp in
                let l = lp.baseAddress!, p = pp.baseAddress!
                ImageParallel.forEachChunk(plane, minPerChunk: 1 << 16) { start, end in
                    let d0 = dst, d1 = dst + plane, d2 = dst + 2 * plane
                    let l0 = l, l1 = l + 256, l2 = l + 512
                    for i in start..<end {
                        let q = p + i * 3
                        d0[i] = l0[Int(q[s0])]
                        d1[i] = l1[Int(q[1])]
                        d2[i] = l2[Int(q[s2])]
                    }
                }
            }
        }
    }

    /// `writePlanar` into a new array of `3 · height · width` floats (`C, H, W`).
    public func planar(order: PixelOrder, scale: Float = 1, mean: (Float, Float, Float) = (0, 0, 0),
                       std: (Float, Float, Float) = (1, 1, 1)) -> [Float] {
        var out = [Float](repeating: 0, count: 3 * width * height)
        if out.isEmpty { return out }
        out.withUnsafeMutableBufferPointer { writePlanar(into: $0.baseAddress!, order: order, scale: scale, mean: mean, std: std) }
        return out
    }
}
