import Foundation

extension Reference {
    /// Multi-scale deformable attention from its definition, in Double: for every level, `grid_sample` (bilinear,
    /// zeros padding, align_corners=False) of the `B·H` maps `D, h_l, w_l` at `grid = 2·loc − 1`, written as
    /// torch's `grid_sampler_2d` does (four named corners, each read only when inside the map), then the weighted sum
    /// over levels and points. Layouts as `DeformableAttention`.
    public static func deformableAttention(_ g: DeformableAttention.Geometry, value: UnsafePointer<Float>, locations: UnsafePointer<Float>,
                                           weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let h = g.heads, d = g.headDim, s = g.cells
        func read(_ b: Int, _ start: Int, _ width: Int, _ height: Int, _ head: Int, _ x: Int, _ y: Int, _ c: Int) -> Double {
            guard x >= 0, y >= 0, x < width, y < height else { return 0 }
            return Double(value[((b * s + start + y * width + x) * h + head) * d + c])
        }
        for b in 0..<g.batch { for q in 0..<g.queries { for head in 0..<h {
            for c in 0..<d {
                var acc: Double = 0
                var start = 0
                for (l, lv) in g.levels.enumerated() {
                    for p in 0..<g.points {
                        let k = (((b * g.queries + q) * h + head) * g.levels.count + l) * g.points + p
                        let gx = 2 * Double(locations[2 * k]) - 1, gy = 2 * Double(locations[2 * k + 1]) - 1
                        let ix = ((gx + 1) * Double(lv.w) - 1) / 2, iy = ((gy + 1) * Double(lv.h) - 1) / 2
                        let xw = floor(ix), yn = floor(iy)
                        let nw = (xw + 1 - ix) * (yn + 1 - iy), ne = (ix - xw) * (yn + 1 - iy)
                        let sw = (xw + 1 - ix) * (iy - yn), se = (ix - xw) * (iy - yn)
                        let x0 = Int(xw), y0 = Int(yn)
                        let v = nw * read(b, start, lv.w, lv.h, head, x0, y0, c) + ne * read(b, start, lv.w, lv.h, head, x0 + 1, y0, c)
                            + sw * read(b, start, lv.w, lv.h, head, x0, y0 + 1, c) + se * read(b, start, lv.w, lv.h, head, x0 + 1, y0 + 1, c)
                        acc += Double(weights[k]) * v
                    }
                    start += lv.h * lv.w
                }
                output[(b * g.queries + q) * h * d + head * d + c] = Float(acc)
            }
        } } }
    }
}
