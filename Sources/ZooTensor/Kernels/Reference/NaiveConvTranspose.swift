extension Reference {
    /// Transposed convolution by definition (scatter every input element through the kernel), Double accumulators.
    /// Input `N, inC, H, W`; weight `[inC, outC/groups, kH, kW]`; output `N, outC, outH, outW` (caller-sized).
    public static func convTranspose2d(input: UnsafePointer<Float>, batch: Int, inChannels: Int, inH: Int, inW: Int,
                                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int,
                                       outH: Int, outW: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                                       dilation: (Int, Int), groups: Int, output: UnsafeMutablePointer<Float>) {
        let cin = inChannels / groups, cout = outChannels / groups
        var acc = [Double](repeating: 0, count: batch * outChannels * outH * outW)
        for n in 0..<batch { for ic in 0..<inChannels {
            let g = ic / cin
            for iy in 0..<inH { for ix in 0..<inW {
                let v = Double(input[((n * inChannels + ic) * inH + iy) * inW + ix])
                for oc in 0..<cout { for ki in 0..<kernel.0 { for kj in 0..<kernel.1 {
                    let oy = iy * stride.0 - padding.0 + ki * dilation.0, ox = ix * stride.1 - padding.1 + kj * dilation.1
                    guard oy >= 0, oy < outH, ox >= 0, ox < outW else { continue }
                    let w = Double(weight[((ic * cout + oc) * kernel.0 + ki) * kernel.1 + kj])
                    acc[((n * outChannels + g * cout + oc) * outH + oy) * outW + ox] += v * w
                } } }
            } }
        } }
        for n in 0..<batch { for oc in 0..<outChannels { for i in 0..<(outH * outW) {
            let idx = (n * outChannels + oc) * outH * outW + i
            output[idx] = Float(acc[idx] + Double(bias?[oc] ?? 0))
        } } }
    }
}
