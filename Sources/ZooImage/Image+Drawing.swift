import Foundation

/// Drawing for annotated outputs: rectangles, boxes, labels (built-in `BitmapFont`), points and lines.
/// Everything is clipped to the image; non-finite coordinates draw nothing.
extension Image {
    /// Fills the rectangle with top-left (x, y) and the given size (clipped).
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: (UInt8, UInt8, UInt8)) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x.addingReportingOverflow(max(w, 0)).overflow ? width : x + max(w, 0))
        let y1 = min(height, y.addingReportingOverflow(max(h, 0)).overflow ? height : y + max(h, 0))
        guard x0 < x1, y0 < y1 else { return }
        let stride = width
        pixels.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            for row in y0..<y1 {
                var q = base + (row * stride + x0) * 3
                for _ in x0..<x1 { q[0] = color.0; q[1] = color.1; q[2] = color.2; q += 3 }
            }
        }
    }

    /// Draws the outline of the box with corners (x1, y1) and (x2, y2) (pixel-edge coordinates, rounded);
    /// the `thickness`-pixel border lies inside the box, so a box drawn on the image edge stays visible.
    public mutating func drawBox(x1: Float, y1: Float, x2: Float, y2: Float, color: (UInt8, UInt8, UInt8), thickness: Int = 2) {
        guard x1.isFinite, y1.isFinite, x2.isFinite, y2.isFinite, thickness > 0 else { return }
        let l = Self.pixel(min(x1, x2)), r = Self.pixel(max(x1, x2)), t = Self.pixel(min(y1, y2)), b = Self.pixel(max(y1, y2))
        let w = max(r - l, 1), h = max(b - t, 1)
        let k = min(thickness, (w + 1) / 2, (h + 1) / 2)
        fillRect(x: l, y: t, width: w, height: k, color: color)             // top
        fillRect(x: l, y: t + h - k, width: w, height: k, color: color)     // bottom
        fillRect(x: l, y: t, width: k, height: h, color: color)             // left
        fillRect(x: l + w - k, y: t, width: k, height: h, color: color)     // right
    }

    /// Draws `text` with the built-in 5×7 font magnified `scale` times, on a `background` box (if given) with
    /// `scale` pixels of padding. (x, y) is the label box's top-left corner; the box is shifted to lie inside
    /// the image when it would cross an edge. Returns the label box (x, y, width, height) actually used.
    @discardableResult
    public mutating func drawLabel(_ text: String, x: Int, y: Int, color: (UInt8, UInt8, UInt8),
                                   background: (UInt8, UInt8, UInt8)? = nil, scale: Int = 2) -> (x: Int, y: Int, width: Int, height: Int) {
        let s = max(1, scale)
        let (tw, th) = BitmapFont.textSize(text, scale: s)
        let bw = tw + 2 * s, bh = th + 2 * s
        let bx = max(0, min(x, width - bw)), by = max(0, min(y, height - bh))
        if let bg = background { fillRect(x: bx, y: by, width: bw, height: bh, color: bg) }
        var penX = bx + s
        let penY = by + s
        for ch in text {
            let g = BitmapFont.glyphIndex(ch)
            for row in 0..<BitmapFont.glyphHeight {
                let bits = BitmapFont.rows[g * 7 + row]
                if bits == 0 { continue }
                for col in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(col)) != 0 {
                    fillRect(x: penX + col * s, y: penY + row * s, width: s, height: s, color: color)
                }
            }
            penX += BitmapFont.cellWidth * s
        }
        return (bx, by, bw, bh)
    }

    /// Draws a filled disc of `radius` pixels centred on the pixel that contains (x, y) (pixel-edge coordinates:
    /// pixel i covers [i, i + 1)); radius 0 is one pixel.
    public mutating func drawPoint(x: Float, y: Float, color: (UInt8, UInt8, UInt8), radius: Int = 2) {
        guard x.isFinite, y.isFinite, radius >= 0 else { return }
        let cx = Self.pixel(x - 0.5), cy = Self.pixel(y - 0.5)   // the pixel whose area contains (x, y)
        let r = min(radius, 1 << 14)
        for dy in -r...r {
            let py = cy + dy
            guard py >= 0, py < height else { continue }
            // Widest dx with dx² + dy² ≤ r² + r (rounder small discs than ≤ r²).
            var half = 0
            while (half + 1) * (half + 1) + dy * dy <= r * r + r { half += 1 }
            fillRect(x: cx - half, y: py, width: 2 * half + 1, height: 1, color: color)
        }
    }

    /// Draws a straight line from (x1, y1) to (x2, y2) (pixel-centre coordinates), `thickness` pixels wide
    /// (square pen), clipped to the image before rasterising.
    public mutating func drawLine(x1: Float, y1: Float, x2: Float, y2: Float, color: (UInt8, UInt8, UInt8), thickness: Int = 1) {
        guard x1.isFinite, y1.isFinite, x2.isFinite, y2.isFinite, thickness > 0, width > 0, height > 0 else { return }
        let m = Float(thickness)
        guard let (ax, ay, bx, by) = Self.clip(x1, y1, x2, y2, xmin: -m, ymin: -m, xmax: Float(width) + m, ymax: Float(height) + m)
        else { return }
        let steps = Int(max(abs(bx - ax), abs(by - ay)).rounded(.up))
        let off = (thickness - 1) / 2
        for i in 0...max(steps, 0) {
            let t = steps == 0 ? 0 : Float(i) / Float(steps)
            let px = Int((ax + (bx - ax) * t).rounded()), py = Int((ay + (by - ay) * t).rounded())
            fillRect(x: px - off, y: py - off, width: thickness, height: thickness, color: color)
        }
    }

    /// A float coordinate rounded to an Int, clamped well inside Int's range.
    static func pixel(_ v: Float) -> Int { Int(min(max(v, -1e7), 1e7).rounded()) }

    /// Liang–Barsky clipping of a segment to a rectangle; nil if it lies outside.
    static func clip(_ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float, xmin: Float, ymin: Float, xmax: Float, ymax: Float)
        -> (Float, Float, Float, Float)? {
        var t0: Float = 0, t1: Float = 1
        let dx = x2 - x1, dy = y2 - y1
        for (p, q) in [(-dx, x1 - xmin), (dx, xmax - x1), (-dy, y1 - ymin), (dy, ymax - y1)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 { if r > t1 { return nil }; t0 = max(t0, r) } else { if r < t0 { return nil }; t1 = min(t1, r) }
            }
        }
        return (x1 + t0 * dx, y1 + t0 * dy, x1 + t1 * dx, y1 + t1 * dy)
    }
}
