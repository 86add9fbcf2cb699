extension Reference {
    /// Pads each plane explicitly (with `padValue`), then takes max/mean over every window in the padded image.
    /// For average pooling `countIncludePad == false` divides by the number of non-padding cells; with it, by the
    /// number of window cells inside the padded image.
    public static func pool2d(_ g: Pool2dGeometry, max isMax: Bool, countIncludePad: Bool = true,
                              input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let ph = g.inH + g.padding.top + g.padding.bottom, pw = g.inW + g.padding.left + g.padding.right
        var padded = [Float](repeating: isMax ? -.infinity : 0, count: ph * pw)
        var real = [Bool](repeating: false, count: ph * pw)
        let oh = g.outH, ow = g.outW
        for p in 0..<(g.batch * g.channels) {
            for i in 0..<(ph * pw) { padded[i] = isMax ? -.infinity : 0; real[i] = false }
            for y in 0..<g.inH { for x in 0..<g.inW {
                padded[(y + g.padding.top) * pw + x + g.padding.left] = input[p * g.inH * g.inW + y * g.inW + x]
                real[(y + g.padding.top) * pw + x + g.padding.left] = true
            } }
            for oy in 0..<oh { for ox in 0..<ow {
                var m = -Float.infinity, s: Double = 0, cells = 0, realCells = 0
                for ky in 0..<g.kH { for kx in 0..<g.kW {
                    let y = oy * g.strideH + ky, x = ox * g.strideW + kx
                    guard y < ph && x < pw else { continue }   // ceil-mode windows may hang past the padded image
                    cells += 1
                    if real[y * pw + x] { realCells += 1 }
                    m = Swift.max(m, padded[y * pw + x]); s += Double(padded[y * pw + x])
                } }
                let d = countIncludePad ? cells : realCells
                output[p * oh * ow + oy * ow + ox] = isMax ? m : (d > 0 ? Float(s / Double(d)) : 0)
            } }
        }
    }

    /// Adaptive average pooling written from the definition (start = ⌊i·in/out⌋, end = ⌈(i+1)·in/out⌉) in Double.
    public static func adaptiveAvgPool(batch: Int, channels: Int, inH: Int, inW: Int, outH: Int, outW: Int,
                                       input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for p in 0..<(batch * channels) { for oy in 0..<outH { for ox in 0..<outW {
            let y0 = Int((Double(oy * inH) / Double(outH)).rounded(.down)), y1 = Int((Double((oy + 1) * inH) / Double(outH)).rounded(.up))
            let x0 = Int((Double(ox * inW) / Double(outW)).rounded(.down)), x1 = Int((Double((ox + 1) * inW) / Double(outW)).rounded(.up))
            var s: Double = 0
            for y in y0..<y1 { for x in x0..<x1 { s += Double(input[p * inH * inW + y * inW + x]) } }
            output[(p * outH + oy) * outW + ox] = Float(s / Double((y1 - y0) * (x1 - x0)))
        } } }
    }
}
