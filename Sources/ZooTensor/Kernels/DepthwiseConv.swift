/// Direct depthwise convolution (`groups == inChannels == outChannels`), no im2col.
///
/// Input `N, C, H, W`; weight `[C, 1, kH, kW]`; output `N, C, outH, outW`. Each output plane is accumulated
/// row by row as shifted multiply-adds (vectorisable for stride 1), then the epilogue runs on the plane while
/// it is in cache. Parallel over the `N * C` planes.
public enum DepthwiseConv {
    public static func run(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue) {
        precondition(g.isDepthwise)
        let planes = g.batch * g.inChannels
        let outHW = g.outH * g.outW
        Threads.parallelFor(planes, minPerChunk: max(1, 4096 / max(1, outHW * g.kH * g.kW))) { p0, p1 in
            for p in p0..<p1 {
                let c = p % g.inChannels
                let dst = output + p * outHW
                plane(g, input: input + p * g.inH * g.inW, weight: weight + c * g.kH * g.kW, output: dst)
                epilogue.apply(channel: c, dst, count: outHW)
            }
        }
    }

    @inlinable
    static func plane(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      output: UnsafeMutablePointer<Float>) {
        let H = g.inH, W = g.inW, outW = g.outW, sw = g.strideW
        output.update(repeating: 0, count: g.outH * outW)
        for oy in 0..<g.outH {
            let d = output + oy * outW
            for ki in 0..<g.kH {
                let iy = oy * g.strideH - g.padding.top + ki * g.dilationH
                if iy < 0 || iy >= H { continue }
                let row = input + iy * W
                for kj in 0..<g.kW {
                    let w = weight[ki * g.kW + kj]
                    let xoff = kj * g.dilationW - g.padding.left
                    let oxEnd = (W - 1 - xoff) < 0 ? 0 : Swift.min(outW, (W - 1 - xoff) / sw + 1)
                    let oxLo = Swift.min(xoff >= 0 ? 0 : (-xoff + sw - 1) / sw, oxEnd)
                    let src = row + xoff
                    if sw == 1 {
                        for ox in oxLo..<oxEnd { d[ox] += w * src[ox] }
                    } else {
                        for ox in oxLo..<oxEnd { d[ox] += w * src[ox * sw] }
                    }
                }
            }
        }
    }
}
