/// Nearest and bilinear resampling of `N, C, H, W` planes to `N, C, outH, outW` (PyTorch `F.interpolate` rules).
///
/// `scaleH`/`scaleW` are the source-per-destination factors PyTorch uses: `1 / scale_factor` when a scale was
/// given, else `in / out`.
public enum ResizeKernels {
    /// Nearest: `src = min(floor(dst * scale), in - 1)`. Integer upscales replicate rows with memcpy.
    public static func nearest(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, scaleH: Float, scaleW: Float,
                               input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let xi = workspace.floats(outW, slot: 1)   // source column of each output column (exact as Float)
        for ox in 0..<outW { xi[ox] = Float(Swift.min(Int((Float(ox) * scaleW).rounded(.down)), inW - 1)) }
        let integerScale = outW % inW == 0 && outH % inH == 0 && Float(inW) / Float(outW) == scaleW
            && Float(inH) / Float(outH) == scaleH
        let sx = outW / Swift.max(1, inW)
        Threads.parallelFor(planes, minPerChunk: Swift.max(1, 32768 / Swift.max(1, outH * outW))) { p0, p1 in
            for p in p0..<p1 {
                let src = input + p * inH * inW, dst = output + p * outH * outW
                var prevSy = -1
                for oy in 0..<outH {
                    let sy = Swift.min(Int((Float(oy) * scaleH).rounded(.down)), inH - 1)
                    let d = dst + oy * outW
                    if sy == prevSy { d.update(from: d - outW, count: outW); continue }
                    prevSy = sy
                    let row = src + sy * inW
                    if integerScale && sx == 2 {
                        for x in 0..<inW { let v = row[x]; d[2 * x] = v; d[2 * x + 1] = v }
                    } else {
                        for ox in 0..<outW { d[ox] = row[Int(xi[ox])] }
                    }
                }
            }
        }
    }

    @inlinable
    static func sourceIndex(_ dst: Int, scale: Float, alignCorners: Bool) -> Float {
        if alignCorners { return scale * Float(dst) }
        return Swift.max(scale * (Float(dst) + 0.5) - 0.5, 0)
    }

    /// PyTorch's bilinear scale: `(in-1)/(out-1)` with aligned corners (0 if `out <= 1`), else the given scale.
    public static func bilinearScale(inSize: Int, outSize: Int, alignCorners: Bool, scale: Float) -> Float {
        if alignCorners { return outSize > 1 ? Float(inSize - 1) / Float(outSize - 1) : 0 }
        return scale
    }

    /// Bilinear interpolation (`align_corners` true or false).
    public static func bilinear(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, scaleH: Float, scaleW: Float,
                                alignCorners: Bool, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                workspace: Workspace) {
        let sh = bilinearScale(inSize: inH, outSize: outH, alignCorners: alignCorners, scale: scaleH)
        let sw = bilinearScale(inSize: inW, outSize: outW, alignCorners: alignCorners, scale: scaleW)
        // per output column: x0, x1 (exact as Float) and the weight of x1
        let tab = workspace.floats(3 * outW, slot: 1)
        let ix = tab, lx = tab + 2 * outW
        for ox in 0..<outW {
            let s = sourceIndex(ox, scale: sw, alignCorners: alignCorners)
            let x0 = Swift.min(Int(s), inW - 1)
            ix[2 * ox] = Float(x0); ix[2 * ox + 1] = Float(x0 + (x0 < inW - 1 ? 1 : 0)); lx[ox] = s - Float(x0)
        }
        Threads.parallelFor(planes * outH, minPerChunk: Swift.max(1, 16384 / Swift.max(1, outW))) { r0, r1 in
            for r in r0..<r1 {
                let p = r / outH, oy = r % outH
                let s = sourceIndex(oy, scale: sh, alignCorners: alignCorners)
                let y0 = Swift.min(Int(s), inH - 1), y1 = y0 + (y0 < inH - 1 ? 1 : 0)
                let l1 = s - Float(y0), l0 = 1 - l1
                let a = input + p * inH * inW + y0 * inW, b = input + p * inH * inW + y1 * inW
                let d = output + p * outH * outW + oy * outW
                for ox in 0..<outW {
                    let x0 = Int(ix[2 * ox]), x1 = Int(ix[2 * ox + 1]), w1 = lx[ox], w0 = 1 - w1
                    d[ox] = l0 * (w0 * a[x0] + w1 * a[x1]) + l1 * (w0 * b[x0] + w1 * b[x1])
                }
            }
        }
    }
}
