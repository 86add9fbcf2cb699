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

    /// One output plane. Stride-1 interiors run 8 outputs at a time with the taps accumulated in SIMD registers;
    /// borders (and other strides) run one output at a time, skipping taps that fall in the padding.
    @inlinable
    static func plane(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      output: UnsafeMutablePointer<Float>) {
        let H = g.inH, W = g.inW, outW = g.outW, outH = g.outH
        let kH = g.kH, kW = g.kW, sh = g.strideH, sw = g.strideW, dh = g.dilationH, dw = g.dilationW
        let top = g.padding.top, left = g.padding.left
        @inline(__always) func scalar(_ oy: Int, _ ox: Int) -> Float {
            var s: Float = 0
            for ki in 0..<kH {
                let iy = oy * sh - top + ki * dh
                if iy < 0 || iy >= H { continue }
                let row = input + iy * W, wr = weight + ki * kW
                for kj in 0..<kW {
                    let ix = ox * sw - left + kj * dw
                    if ix >= 0 && ix < W { s += wr[kj] * row[ix] }
                }
            }
            return s
        }
        // stride 1: x = ox - left + kj*dw is inside [0, W) for all taps and 8 lanes when left <= ox <= W - 8 - (kW-1)*dw + left
        let vecLo = sw == 1 ? Swift.min(left, outW) : outW
        let vecHi = W - 8 - (kW - 1) * dw + left
        for oy in 0..<outH {
            let d = output + oy * outW
            var ox = 0
            while ox < vecLo { d[ox] = scalar(oy, ox); ox += 1 }
            while ox <= vecHi && ox + 8 <= outW {
                var acc = VectorMath.V(repeating: 0)
                for ki in 0..<kH {
                    let iy = oy * sh - top + ki * dh
                    if iy < 0 || iy >= H { continue }
                    let row = input + iy * W + ox - left, wr = weight + ki * kW
                    for kj in 0..<kW { acc += VectorMath.V(repeating: wr[kj]) * VectorMath.load(row + kj * dw) }
                }
                VectorMath.store(acc, d + ox)
                ox += 8
            }
            while ox < outW { d[ox] = scalar(oy, ox); ox += 1 }
        }
    }
}
