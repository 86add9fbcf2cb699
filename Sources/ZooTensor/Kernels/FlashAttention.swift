/// Tiled multi-head scaled dot-product attention, `o = softmax(scale · q·kᵀ + mask) · v` per head, that never
/// materialises the `queries × keys` score matrix (FlashAttention, Dao et al. 2022, forward pass on the CPU).
///
/// The queries of one (batch, head) are cut into blocks of `queryBlock` rows; each block walks the keys in
/// blocks of `keyBlock`: `S = scale · Q_blk · K_blkᵀ` (one GEMM), padded keys set to −∞, then the online softmax
/// keeps a running row maximum `m` and row sum `l`: with `m' = max(m, rowmax S)`, `P = exp(S − m')`,
/// `l ← l·e^(m−m') + ΣP`, `O ← O·e^(m−m') + P·V_blk` (a second GEMM); at the end `o = O / l`.
/// Key blocks that are entirely padding are skipped.
///
/// Memory: each worker thread holds `queryBlock · (keyBlock + valueDim + 2)` floats (score tile, output
/// accumulator, running max and sum), so the scratch is `min(threads, tasks) · queryBlock · (keyBlock + valueDim + 2)`
/// floats — independent of the number of queries and keys (`workspaceFloats`). An 8000 × 8000 self-attention with
/// 64-channel heads needs 48.5 KB per thread here (97 KB on 2 threads, measured); the full score matrix of one head
/// would be 256 MB.
///
/// A query row whose keys are *all* padding has no defined softmax (PyTorch returns NaN, HF's additive
/// `finfo.min` mask averages every value): this kernel writes **zeros** for such a row, and so does the reference.
/// Tasks (batch × head × query block) run in parallel on `Threads.count` workers with single-threaded BLAS.
public enum FlashAttention {
    /// Default tile sizes: 64 query rows × 128 keys (the score tile is 32 KB, it stays in L1/L2).
    public static let defaultQueryBlock = 64
    public static let defaultKeyBlock = 128

    /// Workers used for `g` (one per thread, at most one per task).
    public static func workers(_ g: AttentionGeometry, queryBlock: Int = defaultQueryBlock) -> Int {
        let tasks = g.batch * g.heads * ((g.queries + queryBlock - 1) / queryBlock)
        return max(1, min(Threads.count, tasks))
    }

    /// Floats of scratch one worker needs (rounded up to 16 for alignment).
    public static func floatsPerWorker(valueDim: Int, queryBlock: Int = defaultQueryBlock, keyBlock: Int = defaultKeyBlock) -> Int {
        (queryBlock * (keyBlock + valueDim + 2) + 15) / 16 * 16
    }

    /// Floats of scratch `attention` requests from its workspace for `g`: `workers · queryBlock · (keyBlock + valueDim + 2)`,
    /// rounded — O(threads · block · (block + d)), never O(queries · keys).
    public static func workspaceFloats(_ g: AttentionGeometry, queryBlock: Int = defaultQueryBlock, keyBlock: Int = defaultKeyBlock) -> Int {
        workers(g, queryBlock: queryBlock) * floatsPerWorker(valueDim: g.valueDim, queryBlock: queryBlock, keyBlock: keyBlock)
    }

    /// Computes attention for `g` into `o` (see `AttentionGeometry` for the layouts). `keyPaddingMask`, when given,
    /// holds `batch · keys` bytes (non-zero = ignore that key). Scratch comes from `workspace` slot `slot`.
    public static func attention(_ g: AttentionGeometry, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 keyPaddingMask: UnsafePointer<UInt8>? = nil, o: UnsafeMutablePointer<Float>,
                                 workspace: Workspace, slot: Int = 0,
                                 queryBlock: Int = defaultQueryBlock, keyBlock: Int = defaultKeyBlock) {
        precondition(queryBlock >= 1 && keyBlock >= 1, "attention: block sizes must be positive")
        guard g.batch > 0, g.queries > 0 else { return }
        let qBlocks = (g.queries + queryBlock - 1) / queryBlock
        let tasks = g.batch * g.heads * qBlocks
        let workers = workers(g, queryBlock: queryBlock)
        let perWorker = floatsPerWorker(valueDim: g.valueDim, queryBlock: queryBlock, keyBlock: keyBlock)
        let scratch = workspace.floats(workers * perWorker, slot: slot)
        let run = {
            Threads.parallelFor(workers) { w0, w1 in
                for w in w0..<w1 {
                    let base = scratch + w * perWorker
                    for t in (tasks * w / workers)..<(tasks * (w + 1) / workers) {
                        let qb = t % qBlocks, bh = t / qBlocks
                        tile(g, batch: bh / g.heads, head: bh % g.heads, q0: qb * queryBlock,
                             rows: min(queryBlock, g.queries - qb * queryBlock), q: q, k: k, v: v, mask: keyPaddingMask, o: o,
                             scratch: base, queryBlock: queryBlock, keyBlock: keyBlock)
                    }
                }
            }
        }
        if workers > 1 { Threads.withSingleThreadedBLAS(run) } else { run() }
    }

    /// One query block of one (batch, head) against every key block.
    @inline(__always)
    static func tile(_ g: AttentionGeometry, batch b: Int, head h: Int, q0: Int, rows: Int,
                     q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?,
                     o: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, queryBlock: Int, keyBlock: Int) {
        let d = g.headDim, dv = g.valueDim, bk = keyBlock
        let s = scratch, acc = scratch + queryBlock * bk, mRow = acc + queryBlock * dv, lRow = mRow + queryBlock
        acc.update(repeating: 0, count: rows * dv)
        mRow.update(repeating: -.infinity, count: rows)
        lRow.update(repeating: 0, count: rows)
        let qp = q + (b * g.queries + q0) * g.ldq + h * d
        let maskRow = mask.map { $0 + b * g.keys }
        var k0 = 0
        while k0 < g.keys {
            let cols = min(bk, g.keys - k0)
            defer { k0 += bk }
            if let mr = maskRow {
                var anyValid = false
                for j in 0..<cols where mr[k0 + j] == 0 { anyValid = true; break }
                if !anyValid { continue }
            }
            let kp = k + (b * g.keys + k0) * g.ldk + h * d
            let vp = v + (b * g.keys + k0) * g.ldv + h * dv
            GEMM.sgemm(transA: false, transB: true, m: rows, n: cols, k: d, alpha: g.scale, a: qp, lda: g.ldq,
                       b: kp, ldb: g.ldk, beta: 0, c: s, ldc: bk)
            for r in 0..<rows {
                let row = s + r * bk
                var mx = -Float.infinity
                if let mr = maskRow { for j in 0..<cols where mr[k0 + j] == 0 { mx = Swift.max(mx, row[j]) } }
                else { for j in 0..<cols { mx = Swift.max(mx, row[j]) } }
                let mOld = mRow[r], mNew = Swift.max(mOld, mx)
                // mNew is finite: the block has a valid key (fully padded blocks were skipped above).
                let corr = mOld == -.infinity ? 0 : VectorMath.exp(mOld - mNew)
                for j in 0..<cols { row[j] = VectorMath.exp(row[j] - mNew) }
                if let mr = maskRow { for j in 0..<cols where mr[k0 + j] != 0 { row[j] = 0 } }
                var sum: Float = 0
                for j in 0..<cols { sum += row[j] }
                lRow[r] = lRow[r] * corr + sum
                mRow[r] = mNew
                if corr != 1 { let a = acc + r * dv; for c in 0..<dv { a[c] *= corr } }
            }
            GEMM.sgemm(transA: false, transB: false, m: rows, n: dv, k: cols, alpha: 1, a: s, lda: bk,
                       b: vp, ldb: g.ldv, beta: 1, c: acc, ldc: dv)
        }
        let op = o + (b * g.queries + q0) * g.ldo + h * dv
        for r in 0..<rows {
            let dst = op + r * g.ldo, a = acc + r * dv
            let l = lRow[r]
            if l > 0 { let inv = 1 / l; for c in 0..<dv { dst[c] = a[c] * inv } }
            else { for c in 0..<dv { dst[c] = 0 } }   // every key padding: zeros (see the type's doc)
        }
    }
}
