/// Multi-scale deformable attention sampling (Deformable DETR, Zhu et al. 2021; the op under RT-DETR's decoder):
/// for each query and head, the sum over levels `l` and points `p` of `weight[l, p] · bilinear(value_l, loc[l, p])`.
/// Port of HF transformers 5.23 `MultiScaleDeformableAttention.forward` (PyTorch path): `grid_sample` with
/// `mode="bilinear"`, `padding_mode="zeros"`, `align_corners=False` on `grid = 2·loc − 1`, i.e. the source pixel is
/// `ix = ((g + 1)·W − 1) / 2 = loc_x·W − 0.5`, corners outside the map contribute zero.
///
/// Layouts (batch first, channels last):
/// - value `B, S, H, D` with `S = Σ h_l·w_l`, the levels' `h_l × w_l` maps concatenated row-major in `levels` order;
/// - sampling locations `B, Q, H, L, P, 2` as normalised `(x, y)` in 0…1 of each level;
/// - attention weights `B, Q, H, L, P`;
/// - output `B, Q, H·D`.
/// Parallel over batch × queries; no scratch. The naive reference is `Reference.deformableAttention`.
public enum DeformableAttention {
    /// The shape of one call.
    public struct Geometry: Sendable, Equatable {
        public var batch: Int, queries: Int, heads: Int, headDim: Int, points: Int
        /// `(height, width)` of every level, in the order their cells appear in `value`.
        public var levels: [(h: Int, w: Int)]
        public var cells: Int { levels.reduce(0) { $0 + $1.h * $1.w } }
        public init(batch: Int, queries: Int, heads: Int, headDim: Int, points: Int, levels: [(h: Int, w: Int)]) {
            precondition(batch >= 0 && queries >= 0 && heads >= 1 && headDim >= 1 && points >= 1 && !levels.isEmpty
                         && levels.allSatisfy { $0.h >= 1 && $0.w >= 1 }, "deformable attention: bad geometry")
            self.batch = batch; self.queries = queries; self.heads = heads; self.headDim = headDim; self.points = points; self.levels = levels
        }
        public static func == (a: Geometry, b: Geometry) -> Bool {
            a.batch == b.batch && a.queries == b.queries && a.heads == b.heads && a.headDim == b.headDim && a.points == b.points
                && a.levels.elementsEqual(b.levels) { $0.h == $1.h && $0.w == $1.w }
        }
    }

    public static func sample(_ g: Geometry, value: UnsafePointer<Float>, locations: UnsafePointer<Float>,
                              weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let h = g.heads, d = g.headDim, nl = g.levels.count, np = g.points, s = g.cells
        var starts = [Int](repeating: 0, count: nl)
        for l in 1..<max(1, nl) { starts[l] = starts[l - 1] + g.levels[l - 1].h * g.levels[l - 1].w }
        let levelH = g.levels.map(\.h), levelW = g.levels.map(\.w)
        starts.withUnsafeBufferPointer { st in levelH.withUnsafeBufferPointer { lh in levelW.withUnsafeBufferPointer { lw in
            Threads.parallelFor(g.batch * g.queries, minPerChunk: 4) { r0, r1 in
                for r in r0..<r1 {
                    let b = r / g.queries
                    let out = output + r * h * d
                    out.update(repeating: 0, count: h * d)
                    for head in 0..<h {
                        let o = out + head * d
                        let base = (r * h + head) * nl * np
                        for l in 0..<nl {
                            let height = lh[l], width = lw[l]
                            let levelValue = value + ((b * s + st[l]) * h + head) * d
                            for p in 0..<np {
                                let k = base + l * np + p
                                let a = weights[k]
                                // grid_sample's unnormalisation of grid = 2·loc − 1 (align_corners=False).
                                let gx = 2 * locations[2 * k] - 1, gy = 2 * locations[2 * k + 1] - 1
                                let ix = ((gx + 1) * Float(width) - 1) / 2, iy = ((gy + 1) * Float(height) - 1) / 2
                                let fx = ix.rounded(.down), fy = iy.rounded(.down)
                                guard fx > -2, fy > -2, fx < Float(width), fy < Float(height) else { continue }
                                let x0 = Int(fx), y0 = Int(fy)
                                let tx = ix - fx, ty = iy - fy
                                @inline(__always) func corner(_ cx: Int, _ cy: Int, _ cw: Float) {
                                    guard cx >= 0, cy >= 0, cx < width, cy < height else { return }
                                    let wgt = a * cw
                                    let src = levelValue + (cy * width + cx) * h * d
                                    for c in 0..<d { o[c] += wgt * src[c] }
                                }
                                corner(x0, y0, (1 - tx) * (1 - ty)); corner(x0 + 1, y0, tx * (1 - ty))
                                corner(x0, y0 + 1, (1 - tx) * ty); corner(x0 + 1, y0 + 1, tx * ty)
                            }
                        }
                    }
                }
            }
        } } }
    }
}
