import Foundation

extension Reference {
    /// Deformable convolution from its definition, in Double, one output element at a time: for every output
    /// `(n, o, oy, ox)`, the sum over the input channels `c` of `o`'s weight group and the taps `(i, j)` of
    /// `weight[o, c', i, j] · mask · bilinear(x[n, c], y, x)` at the offset position, written as torchvision's
    /// `bilinear_interpolate` (0 when `y ≤ −1 || y ≥ H || x ≤ −1 || x ≥ W`; four named corners, each read only when
    /// inside the map), then `+ bias[o]`. Layouts as `DeformConv2dKernel`.
    public static func deformConv2d(_ g: DeformConv2dKernel.Geometry, input: UnsafePointer<Float>, offset: UnsafePointer<Float>,
                                    mask: UnsafePointer<Float>?, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                    output: UnsafeMutablePointer<Float>) {
        precondition(g.hasMask == (mask != nil), "deform_conv2d: mask must be given exactly when the geometry has one")
        let H = g.height, W = g.width, oh = g.outH, ow = g.outW, kh = g.kernelH, kw = g.kernelW
        let cin = g.inChannels / g.groups, cout = g.outChannels / g.groups, og = g.offsetGroups
        let perOffsetGroup = g.inChannels / og
        func pixel(_ n: Int, _ c: Int, _ y: Int, _ x: Int) -> Double {
            guard y >= 0, y < H, x >= 0, x < W else { return 0 }
            return Double(input[((n * g.inChannels + c) * H + y) * W + x])
        }
        func bilinear(_ n: Int, _ c: Int, _ y: Double, _ x: Double) -> Double {
            guard y > -1, y < Double(H), x > -1, x < Double(W) else { return 0 }   // (NaN positions too)
            let y0 = floor(y), x0 = floor(x)
            let ly = y - y0, lx = x - x0
            let hLow = Int(y0), wLow = Int(x0)
            return (1 - ly) * (1 - lx) * pixel(n, c, hLow, wLow) + (1 - ly) * lx * pixel(n, c, hLow, wLow + 1)
                + ly * (1 - lx) * pixel(n, c, hLow + 1, wLow) + ly * lx * pixel(n, c, hLow + 1, wLow + 1)
        }
        for n in 0..<g.batch { for o in 0..<g.outChannels {
            let gr = o / cout
            for oy in 0..<oh { for ox in 0..<ow {
                var s: Double = 0
                for ic in 0..<cin {
                    let c = gr * cin + ic, ogi = c / perOffsetGroup
                    for i in 0..<kh { for j in 0..<kw {
                        let tap = ogi * kh * kw + i * kw + j
                        let dy = Double(offset[((n * 2 * og * kh * kw + 2 * tap) * oh + oy) * ow + ox])
                        let dx = Double(offset[((n * 2 * og * kh * kw + 2 * tap + 1) * oh + oy) * ow + ox])
                        let m = mask.map { Double($0[((n * og * kh * kw + tap) * oh + oy) * ow + ox]) } ?? 1
                        let y = Double(oy * g.strideH - g.padH + i * g.dilationH) + dy
                        let x = Double(ox * g.strideW - g.padW + j * g.dilationW) + dx
                        s += Double(weight[((o * cin + ic) * kh + i) * kw + j]) * m * bilinear(n, c, y, x)
                    } }
                }
                output[((n * g.outChannels + o) * oh + oy) * ow + ox] = Float(s + Double(bias?[o] ?? 0))
            } }
        } }
    }
}
