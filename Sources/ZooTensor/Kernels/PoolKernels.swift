/// Max and average pooling over `N, C, H, W` planes into `N, C, outH, outW`, parallel over planes.
public enum PoolKernels {
    /// Max pooling; padding counts as -inf (a window entirely in padding yields -inf).
    public static func max(_ g: Pool2dGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let oh = g.outH, ow = g.outW, H = g.inH, W = g.inW
        let simple2x2 = g.kH == 2 && g.kW == 2 && g.strideH == 2 && g.strideW == 2 && g.padding == .zero
            && oh * 2 <= H && ow * 2 <= W
        Threads.parallelFor(g.batch * g.channels, minPerChunk: Swift.max(1, 16384 / Swift.max(1, oh * ow * g.kH * g.kW))) { p0, p1 in
            for p in p0..<p1 {
                let src = input + p * H * W, dst = output + p * oh * ow
                if simple2x2 {
                    for oy in 0..<oh {
                        let r0 = src + 2 * oy * W, r1 = r0 + W, d = dst + oy * ow
                        for ox in 0..<ow {
                            d[ox] = Swift.max(Swift.max(r0[2 * ox], r0[2 * ox + 1]), Swift.max(r1[2 * ox], r1[2 * ox + 1]))
                        }
                    }
                    continue
                }
                for oy in 0..<oh {
                    let hs = oy * g.strideH - g.padding.top
                    let y0 = Swift.max(hs, 0), y1 = Swift.min(hs + g.kH, H)
                    for ox in 0..<ow {
                        let ws = ox * g.strideW - g.padding.left
                        let x0 = Swift.max(ws, 0), x1 = Swift.min(ws + g.kW, W)
                        var m = -Float.infinity
                        if y0 < y1 && x0 < x1 {
                            for y in y0..<y1 { let row = src + y * W; for x in x0..<x1 { m = Swift.max(m, row[x]) } }
                        }
                        dst[oy * ow + ox] = m
                    }
                }
            }
        }
    }

    /// Average pooling with PyTorch's divisor: with `countIncludePad` the window clipped to the padded input,
    /// else the number of real input elements in the window.
    public static func average(_ g: Pool2dGeometry, countIncludePad: Bool, input: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>) {
        let oh = g.outH, ow = g.outW, H = g.inH, W = g.inW
        Threads.parallelFor(g.batch * g.channels, minPerChunk: Swift.max(1, 16384 / Swift.max(1, oh * ow * g.kH * g.kW))) { p0, p1 in
            for p in p0..<p1 {
                let src = input + p * H * W, dst = output + p * oh * ow
                for oy in 0..<oh {
                    var hs = oy * g.strideH - g.padding.top
                    var he = Swift.min(hs + g.kH, H + g.padding.bottom)
                    let ph = he - hs
                    hs = Swift.max(hs, 0); he = Swift.min(he, H)
                    for ox in 0..<ow {
                        var ws = ox * g.strideW - g.padding.left
                        var we = Swift.min(ws + g.kW, W + g.padding.right)
                        let pw = we - ws
                        ws = Swift.max(ws, 0); we = Swift.min(we, W)
                        var s: Float = 0
                        if hs < he && ws < we {
                            for y in hs..<he { let row = src + y * W; for x in ws..<we { s += row[x] } }
                        }
                        let divisor = countIncludePad ? ph * pw : Swift.max(0, he - hs) * Swift.max(0, we - ws)
                        dst[oy * ow + ox] = divisor > 0 ? s / Float(divisor) : 0
                    }
                }
            }
        }
    }

    /// Adaptive average pooling: output cell `i` averages input `floor(i*in/out) ..< ceil((i+1)*in/out)`.
    public static func adaptiveAverage(batch: Int, channels: Int, inH: Int, inW: Int, outH: Int, outW: Int,
                                       input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        Threads.parallelFor(batch * channels, minPerChunk: Swift.max(1, 16384 / Swift.max(1, inH * inW))) { p0, p1 in
            for p in p0..<p1 {
                let src = input + p * inH * inW, dst = output + p * outH * outW
                for oy in 0..<outH {
                    let y0 = oy * inH / outH, y1 = ((oy + 1) * inH + outH - 1) / outH
                    for ox in 0..<outW {
                        let x0 = ox * inW / outW, x1 = ((ox + 1) * inW + outW - 1) / outW
                        var s: Float = 0
                        for y in y0..<y1 { let row = src + y * inW; for x in x0..<x1 { s += row[x] } }
                        dst[oy * outW + ox] = s / Float((y1 - y0) * (x1 - x0))
                    }
                }
            }
        }
    }
}
