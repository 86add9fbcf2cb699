/// Direct depthwise convolution (`groups == inChannels == outChannels`), no im2col.
///
/// Input `N, C, H, W`; weight `[C, 1, kH, kW]`; output `N, C, outH, outW`. Stride 1: each input plane is copied
/// once into a zero-padded scratch plane, then every output row is 8-wide SIMD multiply-adds with no border
/// tests (3×3 unrolled with the weights in registers). Other strides: one output at a time, skipping padding
/// taps. The epilogue runs on each plane while it is in cache. Parallel over the `N · C` planes.
public enum DepthwiseConv {
    public typealias V = VectorMath.V

    /// Scratch floats per worker (stride 1 only): the padded plane `(outH + dH·(kH−1)) × (outW + dW·(kW−1))`.
    static func paddedPlaneFloats(_ g: ConvGeometry) -> Int {
        guard g.strideH == 1 && g.strideW == 1 else { return 0 }
        return (g.outH + g.dilationH * (g.kH - 1)) * (g.outW + g.dilationW * (g.kW - 1))
    }

    /// Workspace floats needed by `run` (slot 0).
    public static func workspaceFloats(_ g: ConvGeometry) -> Int { paddedPlaneFloats(g) * workers(g) }

    static func workers(_ g: ConvGeometry) -> Int { max(1, min(Threads.count, g.batch * g.inChannels)) }

    public static func run(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue, workspace: Workspace) {
        precondition(g.isDepthwise)
        let planes = g.batch * g.inChannels
        let outHW = g.outH * g.outW
        let per = paddedPlaneFloats(g), nw = workers(g)
        let scratch = workspace.floats(per * nw)
        Threads.parallelFor(nw) { w0, w1 in
            for w in w0..<w1 {
                var p = w
                while p < planes {
                    let c = p % g.inChannels
                    let dst = output + p * outHW
                    let src = input + p * g.inH * g.inW, wt = weight + c * g.kH * g.kW
                    if per > 0 { paddedPlane(g, input: src, weight: wt, output: dst, scratch: scratch + w * per) }
                    else { stridedPlane(g, input: src, weight: wt, output: dst) }
                    epilogue.apply(channel: c, dst, count: outHW)
                    p += nw
                }
            }
        }
    }

    /// Stride 1: pad into `scratch`, then SIMD rows (an overlapping last chunk instead of a scalar tail).
    @inlinable
    static func paddedPlane(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                            output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let H = g.inH, W = g.inW, outW = g.outW, outH = g.outH, kH = g.kH, kW = g.kW, dh = g.dilationH, dw = g.dilationW
        let PW = outW + dw * (kW - 1), PH = outH + dh * (kH - 1)
        let top = g.padding.top, left = g.padding.left
        // padded[py][px] = x[py - top][px - left] (0 outside); only the part the output reads is materialised
        for py in 0..<PH {
            let row = scratch + py * PW
            let iy = py - top
            if iy < 0 || iy >= H { row.update(repeating: 0, count: PW); continue }
            let x0 = Swift.max(0, left), x1 = Swift.min(PW, W + left)   // padded columns backed by input
            if x0 > 0 { row.update(repeating: 0, count: Swift.min(x0, PW)) }
            if x1 > x0 { (row + x0).update(from: input + iy * W + (x0 - left), count: x1 - x0) }
            if x1 < PW { (row + Swift.max(x1, x0)).update(repeating: 0, count: PW - Swift.max(x1, x0)) }
        }
        let is3x3 = kH == 3 && kW == 3 && dh == 1 && dw == 1
        @inline(__always) func wv(_ i: Int) -> V { V(repeating: is3x3 ? weight[i] : 0) }
        let w0 = wv(0), w1 = wv(1), w2 = wv(2), w3 = wv(3), w4 = wv(4), w5 = wv(5), w6 = wv(6), w7 = wv(7), w8 = wv(8)
        for oy in 0..<outH {
            let d = output + oy * outW
            let r0 = UnsafePointer(scratch + oy * PW)
            if outW < 8 {
                for ox in 0..<outW {
                    var s: Float = 0
                    for ki in 0..<kH { for kj in 0..<kW { s += weight[ki * kW + kj] * r0[ki * dh * PW + ox + kj * dw] } }
                    d[ox] = s
                }
                continue
            }
            let r1 = r0 + PW, r2 = r1 + PW
            let last = outW - 8
            if is3x3 {
                var ox = 0
                while true {
                    var acc = w0 * VectorMath.load(r0 + ox) + w1 * VectorMath.load(r0 + ox + 1) + w2 * VectorMath.load(r0 + ox + 2)
                    acc += w3 * VectorMath.load(r1 + ox) + w4 * VectorMath.load(r1 + ox + 1) + w5 * VectorMath.load(r1 + ox + 2)
                    acc += w6 * VectorMath.load(r2 + ox) + w7 * VectorMath.load(r2 + ox + 1) + w8 * VectorMath.load(r2 + ox + 2)
                    VectorMath.store(acc, d + ox)
                    if ox == last { break }
                    ox = Swift.min(ox + 8, last)   // the last chunk overlaps instead of a scalar tail
                }
            } else {
                var ox = 0
                while true {
                    var acc = V(repeating: 0)
                    for ki in 0..<kH {
                        let row = r0 + ki * dh * PW + ox, wr = weight + ki * kW
                        for kj in 0..<kW { acc += V(repeating: wr[kj]) * VectorMath.load(row + kj * dw) }
                    }
                    VectorMath.store(acc, d + ox)
                    if ox == last { break }
                    ox = Swift.min(ox + 8, last)
                }
            }
        }
    }

    /// Any stride: one output at a time, taps in the padding skipped.
    @inlinable
    static func stridedPlane(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             output: UnsafeMutablePointer<Float>) {
        let H = g.inH, W = g.inW, outW = g.outW, sw = g.strideW
        for oy in 0..<g.outH {
            let d = output + oy * outW
            for ox in 0..<outW { d[ox] = 0 }
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
                    for ox in oxLo..<oxEnd { d[ox] += w * src[ox * sw] }
                }
            }
        }
    }
}
