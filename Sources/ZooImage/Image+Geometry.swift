import Foundation

/// Lossless geometric transforms: quarter-turn rotations, mirrors, transposes, crops.
extension Image {
    /// Rotated by `quarterTurns` × 90° counter-clockwise (negative turns rotate clockwise), like `numpy.rot90`
    /// and Pillow's `rotate(90 * quarterTurns, expand=True)`.
    public func rotated(quarterTurns: Int) -> Image {
        let w = width, h = height
        switch ((quarterTurns % 4) + 4) % 4 {
        case 1: return remapped(width: h, height: w, origin: (w - 1, 0), perX: (0, 1), perY: (-1, 0))
        case 2: return remapped(width: w, height: h, origin: (w - 1, h - 1), perX: (-1, 0), perY: (0, -1))
        case 3: return remapped(width: h, height: w, origin: (0, h - 1), perX: (0, -1), perY: (1, 0))
        default: return self
        }
    }

    /// Mirrored left-right.
    public func flippedHorizontally() -> Image {
        remapped(width: width, height: height, origin: (width - 1, 0), perX: (-1, 0), perY: (0, 1))
    }

    /// Mirrored top-bottom.
    public func flippedVertically() -> Image {
        remapped(width: width, height: height, origin: (0, height - 1), perX: (1, 0), perY: (0, -1))
    }

    /// Rows become columns: output (x, y) = input (y, x).
    public func transposed() -> Image { remapped(width: height, height: width, origin: (0, 0), perX: (0, 1), perY: (1, 0)) }

    /// Transposed across the anti-diagonal: output (x, y) = input (W − 1 − y, H − 1 − x).
    public func transversed() -> Image {
        remapped(width: height, height: width, origin: (width - 1, height - 1), perX: (0, -1), perY: (-1, 0))
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

    /// A new `w × h` image whose pixel (x, y) is this image's pixel `origin + x · perX + y · perY` (an axis-aligned
    /// affine map: every flip, transpose and quarter turn). Copies in 32×32 tiles so that column-order reads stay
    /// in cache.
    private func remapped(width w: Int, height h: Int, origin: (Int, Int), perX: (Int, Int), perY: (Int, Int)) -> Image {
        guard w > 0, h > 0 else { return Image(width: w, height: h) }
        var out = [UInt8](repeating: 0, count: w * h * 3)
        let sw = width
        let stepX = (perX.1 * sw + perX.0) * 3, stepY = (perY.1 * sw + perY.0) * 3
        let start = (origin.1 * sw + origin.0) * 3
        let tile = 32
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                for ty in stride(from: 0, to: h, by: tile) {
                    for tx in stride(from: 0, to: w, by: tile) {
                        for y in ty..<min(ty + tile, h) {
                            var si = start + y * stepY + tx * stepX
                            var di = (y * w + tx) * 3
                            for _ in tx..<min(tx + tile, w) {
                                d[di] = s[si]; d[di + 1] = s[si + 1]; d[di + 2] = s[si + 2]
                                si += stepX; di += 3
                            }
                        }
                    }
                }
            }
        }
        return Image(width: w, height: h, pixels: out)
    }
}
