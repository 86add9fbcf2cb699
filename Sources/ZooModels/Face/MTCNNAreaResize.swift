import ZooImage
import ZooTensor

/// Area resampling of an RGB8 image region into planar floats, bit-for-bit as PyTorch's
/// `interpolate(x, size, mode="area")` (= `adaptive_avg_pool2d`), which facenet-pytorch's `imresample` uses
/// for the MTCNN pyramid and for the 24×24 / 48×48 crops.
///
/// Output pixel (oy, ox) averages input rows `floor(oy·H/oh) ..< ceil((oy+1)·H/oh)` and the analogous columns
/// (windows may overlap; upsampling repeats pixels). Sums of 8-bit values are exact in Float32, and the mean is
/// `sum / kh / kw` as in ATen's CPU kernel, so results equal PyTorch's exactly.
public enum MTCNNAreaResize {
    /// Resizes rows `y0..<y1`, columns `x0..<x1` of `image` to `outH × outW` and writes `C, H, W` planes
    /// (R, G, B) to `dst` (3·outH·outW floats). With `normalize`, writes `(v − 127.5) · 0.0078125` instead of `v`.
    public static func resize(_ image: Image, x0: Int, y0: Int, x1: Int, y1: Int, outW: Int, outH: Int,
                              normalize: Bool, into dst: UnsafeMutablePointer<Float>) {
        precondition(0 <= x0 && x0 < x1 && x1 <= image.width && 0 <= y0 && y0 < y1 && y1 <= image.height,
                     "area resize region out of the image")
        precondition(outW > 0 && outH > 0)
        let inW = x1 - x0, inH = y1 - y0
        let plane = outW * outH
        let width = image.width
        // Column windows are shared by every row: precompute them.
        var colStart = [Int](repeating: 0, count: outW), colEnd = [Int](repeating: 0, count: outW)
        for ox in 0..<outW {
            colStart[ox] = x0 + (ox * inW) / outW
            colEnd[ox] = x0 + ((ox + 1) * inW + outW - 1) / outW
        }
        image.pixels.withUnsafeBufferPointer { src in
            colStart.withUnsafeBufferPointer { cs in
                colEnd.withUnsafeBufferPointer { ce in
                    let px = src.baseAddress!
                    Threads.parallelFor(outH, minPerChunk: max(1, 4096 / max(1, outW))) { start, end in
                        for oy in start..<end {
                            let ys = y0 + (oy * inH) / outH
                            let ye = y0 + ((oy + 1) * inH + outH - 1) / outH
                            let kh = Float(ye - ys)
                            for ox in 0..<outW {
                                let xs = cs[ox], xe = ce[ox]
                                var r: Float = 0, g: Float = 0, b: Float = 0
                                for y in ys..<ye {
                                    var p = px + (y * width + xs) * 3
                                    for _ in xs..<xe {
                                        r += Float(p[0]); g += Float(p[1]); b += Float(p[2])
                                        p += 3
                                    }
                                }
                                let kw = Float(xe - xs)
                                var vr = r / kh / kw, vg = g / kh / kw, vb = b / kh / kw
                                if normalize {
                                    vr = (vr - 127.5) * 0.0078125; vg = (vg - 127.5) * 0.0078125; vb = (vb - 127.5) * 0.0078125
                                }
                                let o = oy * outW + ox
                                dst[o] = vr; dst[plane + o] = vg; dst[2 * plane + o] = vb
                            }
                        }
                    }
                }
            }
        }
    }

    /// Naive reference (per channel, straight from the definition, Double windows bounds via floor/ceil):
    /// used by tests to check `resize`.
    public static func reference(_ image: Image, x0: Int, y0: Int, x1: Int, y1: Int, outW: Int, outH: Int) -> [Float] {
        let inW = x1 - x0, inH = y1 - y0
        var out = [Float](repeating: 0, count: 3 * outW * outH)
        for c in 0..<3 {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    let ys = y0 + Int((Double(oy * inH) / Double(outH)).rounded(.down))
                    let ye = y0 + Int((Double((oy + 1) * inH) / Double(outH)).rounded(.up))
                    let xs = x0 + Int((Double(ox * inW) / Double(outW)).rounded(.down))
                    let xe = x0 + Int((Double((ox + 1) * inW) / Double(outW)).rounded(.up))
                    var s: Float = 0
                    for y in ys..<ye { for x in xs..<xe { s += Float(image.pixels[(y * image.width + x) * 3 + c]) } }
                    out[(c * outH + oy) * outW + ox] = s / Float(ye - ys) / Float(xe - xs)
                }
            }
        }
        return out
    }
}
