/// Naive reference kernels: the obvious loops, written for clarity, used by tests to check the fast paths.
public enum Reference {}

extension Reference {
    /// Seven-loop 2-D convolution: `N, C, H, W` ⊛ `[outC, C/groups, kH, kW]` → `N, outC, outH, outW`, then
    /// bias and activation/PReLU per output element with the scalar formulas.
    public static func conv2d(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue) {
        let cin = g.groupInChannels, cout = g.groupOutChannels, oh = g.outH, ow = g.outW
        for n in 0..<g.batch {
            for oc in 0..<g.outChannels {
                let gr = oc / cout
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var s: Double = 0
                        for ic in 0..<cin {
                            let c = gr * cin + ic
                            for ki in 0..<g.kH {
                                let iy = oy * g.strideH - g.padding.top + ki * g.dilationH
                                if iy < 0 || iy >= g.inH { continue }
                                for kj in 0..<g.kW {
                                    let ix = ox * g.strideW - g.padding.left + kj * g.dilationW
                                    if ix < 0 || ix >= g.inW { continue }
                                    let xv = input[((n * g.inChannels + c) * g.inH + iy) * g.inW + ix]
                                    let wv = weight[((oc * cin + ic) * g.kH + ki) * g.kW + kj]
                                    s += Double(xv) * Double(wv)
                                }
                            }
                        }
                        var v = Float(s) + (epilogue.bias?[oc] ?? 0)
                        if let slope = epilogue.preluSlope { v = v > 0 ? v : slope[oc] * v } else { v = epilogue.activation.apply(v) }
                        output[((n * g.outChannels + oc) * oh + oy) * ow + ox] = v
                    }
                }
            }
        }
    }
}
