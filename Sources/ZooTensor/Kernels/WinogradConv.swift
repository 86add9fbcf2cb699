/// Winograd F(4×4, 3×3) convolution for 3×3, stride-1, dilation-1, ungrouped convolutions over `N, C, H, W`.
///
/// Lavin & Gray's minimal filtering: each 4×4 output tile is `Y = Aᵀ [U ⊙ V] A` with the 6×6 transformed
/// filter `U = G g Gᵀ` and the 6×6 transformed input tile `V = Bᵀ d B` (interpolation points 0, ±1, ±2, ∞).
/// Summed over input channels, the element-wise products become 36 independent GEMMs
/// `M[p] = U[p] · V[p]` (`p` = position in the 6×6 tile), which run on `cblas_sgemm`: 36 multiplies per
/// 4×4 outputs instead of 144.
///
/// Layouts (all row-major):
/// - transformed weights `U`: `[36, outC, inC]` (`transformWeights`; computed once and cached by the caller,
///   see `ConvWeightCache`);
/// - transformed input of one block of tile rows `V`: `[36, inC, ld]`, column `row * tilesX + tx`;
/// - GEMM products `M`: `[36, outC, ld]`, same columns.
///
/// Tiles are processed 8 at a time along x with `SIMD8<Float>`: the zero-padded input rows of a block are first
/// split into 4 phase rows (`x mod 4`), so the 8 tiles' values of one tap are 8 contiguous floats.
/// Precision: the transforms multiply by up to 8 and 1/24, so the result carries a few times more rounding
/// error than a direct dot product (≈ 1e-6 of the output's magnitude for unit-range data; see the tests).
public enum WinogradConv {
    /// Output tile side (`m` of F(m×m, 3×3)).
    public static let tile = 4
    /// Input tile side `m + r - 1`.
    public static let alpha = 6
    static let positions = 36

    /// Upper bound on the floats of `V` + `M` for one block of tile rows (larger images run as several blocks,
    /// so the transformed data stays in cache between the transforms and the GEMMs).
    nonisolated(unsafe) public static var blockFloats = 1 << 20

    /// True when `g` is a 3×3, stride-1, dilation-1, groups-1 convolution (any padding, any batch).
    public static func applies(_ g: ConvGeometry) -> Bool {
        g.kH == 3 && g.kW == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 && g.groups == 1
    }

    /// Floats of the transformed weights of `g`: `36 · outC · inC`.
    public static func transformedWeightCount(_ g: ConvGeometry) -> Int { positions * g.outChannels * g.inChannels }

    /// `U = G g Gᵀ` for every (output, input) channel pair: weight `[outC, inC, 3, 3]` → `U` `[36, outC, inC]`.
    /// Computed in Double, rounded once.
    public static func transformWeights(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                        into u: UnsafeMutablePointer<Float>) {
        let G: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                             [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        let plane = outChannels * inChannels
        Threads.parallelFor(outChannels, minPerChunk: max(1, 4096 / max(1, inChannels))) { o0, o1 in
            var t = [Double](repeating: 0, count: 18)  // G g: 6×3
            for oc in o0..<o1 {
                for ic in 0..<inChannels {
                    let w = weight + (oc * inChannels + ic) * 9
                    for i in 0..<6 {
                        for j in 0..<3 { t[i * 3 + j] = G[i][0] * Double(w[j]) + G[i][1] * Double(w[3 + j]) + G[i][2] * Double(w[6 + j]) }
                    }
                    for i in 0..<6 {
                        for l in 0..<6 {
                            let v = t[i * 3] * G[l][0] + t[i * 3 + 1] * G[l][1] + t[i * 3 + 2] * G[l][2]
                            u[(i * 6 + l) * plane + oc * inChannels + ic] = Float(v)
                        }
                    }
                }
            }
        }
    }

    /// Tiling of `g`: tiles per row and column, tile rows per block, and the column stride `ld` of `V`/`M`
    /// (≥ block tiles + 8: the 8-wide stores of a row's last tiles spill into this slack).
    struct Plan {
        var tilesX: Int, tilesY: Int, rowsPerBlock: Int, ld: Int
        var tilesX8: Int { (tilesX + 7) & ~7 }
        /// Phase-row length: 8-wide loads at tile `tx + 1` of the last vector reach index `tilesX8`.
        var phaseLength: Int { tilesX8 + 8 }
        /// Per-worker scratch: the block's phase rows (input side) or 4 output rows (output side), plus 36 vectors.
        var scratchPerWorker: Int { max((4 * rowsPerBlock + 2) * 4 * phaseLength, 4 * (4 * tilesX8 + 8)) + positions * 8 + 16 }
    }

    static func plan(_ g: ConvGeometry) -> Plan {
        let tx = (g.outW + 3) / 4, ty = (g.outH + 3) / 4
        let perRow = positions * (g.inChannels + g.outChannels) * tx
        var rows = max(1, blockFloats / max(1, perRow))
        if rows >= ty { rows = ty } else { let blocks = (ty + rows - 1) / rows; rows = (ty + blocks - 1) / blocks }
        let ld = (rows * tx + 8 + 15) & ~15
        return Plan(tilesX: tx, tilesY: ty, rowsPerBlock: rows, ld: ld)
    }

    /// Floats of workspace slots 0 (`V`), 1 (`M`) and 2 (per-worker scratch) that `run` needs for `g`.
    public static func workspaceFloats(_ g: ConvGeometry) -> (v: Int, m: Int, scratch: Int) {
        let p = plan(g)
        return (positions * g.inChannels * p.ld, positions * g.outChannels * p.ld, p.scratchPerWorker * max(1, Threads.count))
    }

    /// Runs the convolution with transformed weights `u` (`[36, outC, inC]`, from `transformWeights`).
    /// `input` is `g.batch, g.inChannels, g.inH, g.inW`; `output` is `g.outputShape`.
    public static func run(_ g: ConvGeometry, input: UnsafePointer<Float>, transformedWeights u: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue, workspace: Workspace) {
        precondition(applies(g), "Winograd F(4,3) needs a 3×3 stride-1 dilation-1 groups-1 convolution")
        guard g.outH > 0, g.outW > 0, g.batch > 0 else { return }
        let p = plan(g)
        let workers = max(1, Threads.count)
        let sizes = workspaceFloats(g)
        let v = workspace.floats(sizes.v, slot: 0)
        let m = workspace.floats(sizes.m, slot: 1)
        let scratch = workspace.floats(sizes.scratch, slot: 2)
        let cin = g.inChannels, cout = g.outChannels
        for n in 0..<g.batch {
            let x = input + n * cin * g.inH * g.inW
            let y = output + n * cout * g.outH * g.outW
            var r0 = 0
            while r0 < p.tilesY {
                let r1 = min(p.tilesY, r0 + p.rowsPerBlock)
                let tiles = (r1 - r0) * p.tilesX
                forEachChannel(cin, workers: workers) { c0, c1, w in
                    let s = scratch + w * p.scratchPerWorker
                    for c in c0..<c1 { inputTransform(g, p, plane: x + c * g.inH * g.inW, rows: r0..<r1, v: v + c * p.ld, scratch: s) }
                }
                // 36 independent GEMMs split over our workers, each single-threaded in OpenBLAS: one
                // synchronisation per block instead of one per GEMM
                if workers > 1 {
                    Threads.withSingleThreadedBLAS {
                        Threads.parallelFor(positions) { q0, q1 in
                            for q in q0..<q1 { gemm(q, cout, cin, tiles, p.ld, u, v, m) }
                        }
                    }
                } else {
                    for q in 0..<positions { gemm(q, cout, cin, tiles, p.ld, u, v, m) }
                }
                forEachChannel(cout, workers: workers) { c0, c1, w in
                    let s = scratch + w * p.scratchPerWorker
                    for c in c0..<c1 {
                        outputTransform(g, p, m: m + c * p.ld, rows: r0..<r1, out: y + c * g.outH * g.outW, scratch: s,
                                        epilogue: epilogue, channel: c)
                    }
                }
                r0 = r1
            }
        }
    }

    @inline(__always)
    static func gemm(_ q: Int, _ cout: Int, _ cin: Int, _ tiles: Int, _ ld: Int, _ u: UnsafePointer<Float>,
                     _ v: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>) {
        GEMM.sgemm(transA: false, transB: false, m: cout, n: tiles, k: cin, alpha: 1, a: u + q * cout * cin, lda: cin,
                   b: v + q * cin * ld, ldb: ld, beta: 0, c: m + q * cout * ld, ldc: ld)
    }

    /// Splits `0..<count` channels over `workers` threads; `body(start, end, worker)`.
    static func forEachChannel(_ count: Int, workers: Int, _ body: (Int, Int, Int) -> Void) {
        let w = min(workers, count)
        if w <= 1 { body(0, count, 0); return }
        Threads.parallelFor(w) { w0, w1 in
            for k in w0..<w1 { body(count * k / w, count * (k + 1) / w, k) }
        }
    }

    typealias V8 = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    @inline(__always) static func store(_ v: V8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self) }

    /// `Bᵀ z` for one 6-vector (rows of Bᵀ: [4,0,-5,0,1,0], [0,-4,-4,1,1,0], [0,4,-4,-1,1,0], [0,-2,-1,2,1,0],
    /// [0,2,-1,-2,1,0], [0,4,0,-5,0,1]); reads `src[k * stride]`, writes `dst[i * dstStride]`.
    @inline(__always)
    static func bt(_ src: UnsafePointer<Float>, _ stride: Int, _ dst: UnsafeMutablePointer<Float>, _ dstStride: Int) {
        let z0 = load(src), z1 = load(src + stride), z2 = load(src + 2 * stride)
        let z3 = load(src + 3 * stride), z4 = load(src + 4 * stride), z5 = load(src + 5 * stride)
        let a = z4 - 4 * z2, b = z3 - 4 * z1, c = z4 - z2, d = 2 * (z3 - z1)
        store(4 * z0 - 5 * z2 + z4, dst)
        store(a + b, dst + dstStride)
        store(a - b, dst + 2 * dstStride)
        store(c + d, dst + 3 * dstStride)
        store(c - d, dst + 4 * dstStride)
        store(4 * z1 - 5 * z3 + z5, dst + 5 * dstStride)
    }

    /// `Aᵀ m` for one 6-vector (rows of Aᵀ: [1,1,1,1,1,0], [0,1,-1,2,-2,0], [0,1,1,4,4,0], [0,1,-1,8,-8,1]).
    @inline(__always)
    static func at(_ m0: V8, _ m1: V8, _ m2: V8, _ m3: V8, _ m4: V8, _ m5: V8) -> (V8, V8, V8, V8) {
        let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4
        return (m0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34, d12 + 8 * d34 + m5)
    }

    /// Transforms the tiles of tile rows `rows` of one input channel plane into `v` (this channel's row of
    /// position 0; position `q` is at `v + q * inC * ld`).
    static func inputTransform(_ g: ConvGeometry, _ p: Plan, plane: UnsafePointer<Float>, rows: Range<Int>,
                               v: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let H = g.inH, W = g.inW, pl = p.phaseLength, rowFloats = 4 * pl
        let padRows = 4 * rows.count + 2
        let y0 = 4 * rows.lowerBound - g.padding.top
        let left = g.padding.left
        // 1. zero-padded rows split into 4 phase rows: phase[q][t] = xpad[4t + q]
        for yy in 0..<padRows {
            let dst = scratch + yy * rowFloats
            let iy = y0 + yy
            if iy < 0 || iy >= H { dst.update(repeating: 0, count: rowFloats); continue }
            let src = plane + iy * W
            let xEnd = 4 * pl
            let lo = min(left, xEnd), hi = max(lo, min(xEnd, left + W))
            for X in 0..<lo { dst[(X & 3) * pl + (X >> 2)] = 0 }
            for X in lo..<hi { dst[(X & 3) * pl + (X >> 2)] = src[X - left] }
            for X in hi..<xEnd { dst[(X & 3) * pl + (X >> 2)] = 0 }
        }
        // 2. Bᵀ d B, 8 tiles at a time
        let t = scratch + padRows * rowFloats  // 36 vectors: t[k][l] = (d Bᵀᵀ) row transform
        let stride = g.inChannels * p.ld
        for r in 0..<rows.count {
            let base = scratch + 4 * r * rowFloats
            var tx = 0
            while tx < p.tilesX {
                for k in 0..<6 {
                    // row k of the 8 tiles: column j at phase (j & 3), tile offset (j >> 2)
                    let row = base + k * rowFloats + tx
                    let z0 = load(row), z1 = load(row + pl), z2 = load(row + 2 * pl), z3 = load(row + 3 * pl)
                    let z4 = load(row + 1), z5 = load(row + pl + 1)
                    let a = z4 - 4 * z2, b = z3 - 4 * z1, c = z4 - z2, d = 2 * (z3 - z1)
                    let o = t + k * 48
                    store(4 * z0 - 5 * z2 + z4, o)
                    store(a + b, o + 8)
                    store(a - b, o + 16)
                    store(c + d, o + 24)
                    store(c - d, o + 32)
                    store(4 * z1 - 5 * z3 + z5, o + 40)
                }
                let col = v + r * p.tilesX + tx
                for l in 0..<6 { bt(t + l * 8, 48, col + l * stride, 6 * stride) }
                tx += 8
            }
        }
    }

    /// Transforms one output channel's GEMM products (`m`: position 0 of this channel; position `q` at
    /// `m + q * outC * ld`) of tile rows `rows` into the output plane `out`, then applies the epilogue.
    static func outputTransform(_ g: ConvGeometry, _ p: Plan, m: UnsafeMutablePointer<Float>, rows: Range<Int>,
                                out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                epilogue: ConvEpilogue, channel: Int) {
        let rw = 4 * p.tilesX8 + 8
        let t = scratch + 4 * rw  // 24 vectors: t[i][b] = (m A) row transform
        let stride = g.outChannels * p.ld
        let outW = g.outW
        for r in 0..<rows.count {
            var tx = 0
            while tx < p.tilesX {
                let col = m + r * p.tilesX + tx
                for i in 0..<6 {
                    let s = col + i * 6 * stride
                    let (o0, o1, o2, o3) = at(load(s), load(s + stride), load(s + 2 * stride), load(s + 3 * stride),
                                              load(s + 4 * stride), load(s + 5 * stride))
                    let d = t + i * 32
                    store(o0, d); store(o1, d + 8); store(o2, d + 16); store(o3, d + 24)
                }
                for b in 0..<4 {
                    let s = t + b * 8
                    let (y0, y1, y2, y3) = at(load(s), load(s + 32), load(s + 64), load(s + 96), load(s + 128), load(s + 160))
                    let d = scratch + 4 * tx + b
                    for lane in 0..<8 {
                        d[4 * lane] = y0[lane]
                        d[rw + 4 * lane] = y1[lane]
                        d[2 * rw + 4 * lane] = y2[lane]
                        d[3 * rw + 4 * lane] = y3[lane]
                    }
                }
                tx += 8
            }
            let oy = 4 * (rows.lowerBound + r)
            let n = min(4, g.outH - oy)
            let dst = out + oy * outW
            for a in 0..<n { (dst + a * outW).update(from: scratch + a * rw, count: outW) }
            if !epilogue.isIdentity { epilogue.apply(channel: channel, dst, count: n * outW) }
        }
    }
}
