/// Unfolds convolution patches of one group of one image into the `B` matrix of a GEMM.
///
/// Input: the group's `C/groups, H, W` planes (contiguous). Output (`col`): row-major
/// `[C/groups * kH * kW, (rowEnd - rowStart) * outW]`; row `(c * kH + ki) * kW + kj`, column
/// `(oy - rowStart) * outW + ox` holds `x[c, oy*sH - top + ki*dH, ox*sW - left + kj*dW]` (0 outside).
public enum Im2col {
    /// Fills the columns of output rows `rowStart..<rowEnd`, parallel over patch rows.
    public static func fill(_ g: ConvGeometry, input: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>,
                            rowStart: Int, rowEnd: Int) {
        let rows = g.patchSize
        let ld = (rowEnd - rowStart) * g.outW
        Threads.parallelFor(rows, minPerChunk: max(1, (1 << 14) / max(1, ld))) { r0, r1 in
            for r in r0..<r1 { fillRow(g, r, input: input, dst: col + r * ld, rowStart: rowStart, rowEnd: rowEnd) }
        }
    }

    /// One patch row `r = (c * kH + ki) * kW + kj` for output rows `rowStart..<rowEnd`.
    @inlinable
    static func fillRow(_ g: ConvGeometry, _ r: Int, input: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>,
                        rowStart: Int, rowEnd: Int) {
        let kk = g.kH * g.kW
        let c = r / kk, ki = (r % kk) / g.kW, kj = r % g.kW
        let H = g.inH, W = g.inW, outW = g.outW, sw = g.strideW
        let plane = input + c * H * W
        let xoff = kj * g.dilationW - g.padding.left
        // valid ox: 0 <= ox*sw + xoff < W
        let oxEnd = (W - 1 - xoff) < 0 ? 0 : Swift.min(outW, (W - 1 - xoff) / sw + 1)
        let oxLo = Swift.min(xoff >= 0 ? 0 : (-xoff + sw - 1) / sw, oxEnd)
        var d = dst
        for oy in rowStart..<rowEnd {
            let iy = oy * g.strideH - g.padding.top + ki * g.dilationH
            if iy < 0 || iy >= H {
                d.update(repeating: 0, count: outW)
            } else {
                if oxLo > 0 { d.update(repeating: 0, count: oxLo) }
                let src = plane + iy * W + xoff
                if sw == 1 {
                    (d + oxLo).update(from: src + oxLo, count: oxEnd - oxLo)
                } else {
                    for ox in oxLo..<oxEnd { d[ox] = src[ox * sw] }
                }
                if oxEnd < outW { (d + oxEnd).update(repeating: 0, count: outW - oxEnd) }
            }
            d += outW
        }
    }
}
