import Foundation

extension Reference {
    /// Nearest-neighbour resize, one output element at a time in Double.
    public static func nearest(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, scaleH: Float, scaleW: Float,
                               input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for p in 0..<planes { for oy in 0..<outH { for ox in 0..<outW {
            let sy = min(Int(floor(Float(oy) * scaleH)), inH - 1), sx = min(Int(floor(Float(ox) * scaleW)), inW - 1)
            output[(p * outH + oy) * outW + ox] = input[(p * inH + sy) * inW + sx]
        } } }
    }

    /// Bilinear resize from the textbook formula: the four neighbours of the source point, weighted by area.
    public static func bilinear(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, scaleH: Float, scaleW: Float,
                                alignCorners: Bool, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        func src(_ d: Int, _ inSize: Int, _ outSize: Int, _ scale: Float) -> Double {
            if alignCorners { return outSize > 1 ? Double(d) * Double(inSize - 1) / Double(outSize - 1) : 0 }
            return max((Double(d) + 0.5) * Double(scale) - 0.5, 0)
        }
        for p in 0..<planes { for oy in 0..<outH { for ox in 0..<outW {
            let sy = src(oy, inH, outH, scaleH), sx = src(ox, inW, outW, scaleW)
            let y0 = min(Int(sy), inH - 1), x0 = min(Int(sx), inW - 1)
            let y1 = min(y0 + 1, inH - 1), x1 = min(x0 + 1, inW - 1)
            let fy = sy - Double(y0), fx = sx - Double(x0)
            func at(_ y: Int, _ x: Int) -> Double { Double(input[(p * inH + y) * inW + x]) }
            let v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1))
            output[(p * outH + oy) * outW + ox] = Float(v)
        } } }
    }
}
