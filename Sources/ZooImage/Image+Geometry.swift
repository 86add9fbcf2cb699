import Foundation

/// Lossless geometric transforms: quarter-turn rotations, mirrors, transposes, crops.
extension Image {
    /// Rotated by `quarterTurns` × 90° counter-clockwise (negative turns rotate clockwise), like `numpy.rot90`
    /// and Pillow's `rotate(90 * quarterTurns, expand=True)`.
    public func rotated(quarterTurns: Int) -> Image {
        switch ((quarterTurns % 4) + 4) % 4 {
        case 1: return remapped(width: height, height: width) { x, y in (width - 1 - y, x) }
        case 2: return remapped(width: width, height: height) { x, y in (width - 1 - x, height - 1 - y) }
        case 3: return remapped(width: height, height: width) { x, y in (y, height - 1 - x) }
        default: return self
        }
    }

    /// Mirrored left-right.
    public func flippedHorizontally() -> Image { remapped(width: width, height: height) { x, y in (width - 1 - x, y) } }

    /// Mirrored top-bottom.
    public func flippedVertically() -> Image { remapped(width: width, height: height) { x, y in (x, height - 1 - y) } }

    /// Rows become columns: output (x, y) = input (y, x).
    public func transposed() -> Image { remapped(width: height, height: width) { x, y in (y, x) } }

    /// Transposed across the anti-diagonal: output (x, y) = input (W − 1 − y, H − 1 − x).
    public func transversed() -> Image {
        remapped(width: height, height: width) { x, y in (width - 1 - y, height - 1 - x) }
    }

    /// Made upright for an EXIF orientation value 1...8 (see `ExifOrientation`; other values: unchanged).
    public func applyingEXIFOrientation(_ orientation: Int) -> Image {
        switch orientation {
        case 2: return flippedHorizontally()
        case 3: return rotated(quarterTurns: 2)
        case 4: return flippedVertically()
        case 5: return transposed()
        case 6: return rotated(quarterTurns: -1)
        case 7: return transversed()
        case 8: return rotated(quarterTurns: 1)
        default: return self
        }
    }

    /// The `width × height` region whose top-left corner is (x, y), clipped to the image (so it may be smaller,
    /// or empty when the region lies outside).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image {
        let x0 = Swift.max(0, Swift.min(x, width)), y0 = Swift.max(0, Swift.min(y, height))
        let x1 = Swift.max(x0, Swift.min(x + Swift.max(w, 0), width)), y1 = Swift.max(y0, Swift.min(y + Swift.max(h, 0), height))
        let cw = x1 - x0, ch = y1 - y0
        var out = [UInt8](repeating: 0, count: cw * ch * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<ch {
                    let s = src.baseAddress! + ((y0 + row) * width + x0) * 3
                    (dst.baseAddress! + row * cw * 3).update(from: s, count: cw * 3)
                }
            }
        }
        return Image(width: cw, height: ch, pixels: out)
    }

    /// A new `w × h` image whose pixel (x, y) is this image's pixel `source(x, y)`.
    @inline(__always)
    private func remapped(width w: Int, height h: Int, _ source: (Int, Int) -> (Int, Int)) -> Image {
        guard w > 0, h > 0 else { return Image(width: w, height: h) }
        var out = [UInt8](repeating: 0, count: w * h * 3)
        let sw = width
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                for y in 0..<h {
                    for x in 0..<w {
                        let (sx, sy) = source(x, y)
                        let si = (sy * sw + sx) * 3, di = (y * w + x) * 3
                        d[di] = s[si]; d[di + 1] = s[si + 1]; d[di + 2] = s[si + 2]
                    }
                }
            }
        }
        return Image(width: w, height: h, pixels: out)
    }
}
