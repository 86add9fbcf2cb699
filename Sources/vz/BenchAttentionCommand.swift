import ArgumentParser
import Dispatch
import Foundation
import ZooNN

/// `vz bench attention`: the tiled `FlashAttention` kernel beside the unfused GEMM attention (full `L × L` score
/// matrix per head: `S = q·kᵀ` one sgemm, row softmax, `S·v` one sgemm — what an eager framework runs), on
/// self-attention of growing sequence length; reports time and the scratch each one needs.
struct BenchAttention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Tiled (flash-style) attention vs unfused GEMM attention: time and scratch memory by sequence length."
    )

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?
    @Option(help: "Timed runs per measurement, \(OptionRanges.text(OptionRanges.runs)) (the median is reported).")
    var runs = 5
    @Option(help: "Untimed warm-up runs, \(OptionRanges.text(OptionRanges.warmup)).")
    var warmup = 1
    @Option(help: "Heads (DETR: 8).")
    var heads = 8
    @Option(help: "Channels per head (DETR: 32).")
    var headDim = 32
    @Option(help: "Comma-separated sequence lengths (DETR-R50 at 800 × 1066 has 25 × 34 = 850 encoder tokens).")
    var lengths = "850,2000,4000,8000"
    @Option(help: "Which to run: both, tiled or unfused (one alone, to read its peak RSS with /usr/bin/time -v).")
    var path = "both"

    func validate() throws {
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
        try OptionRanges.check(runs, OptionRanges.runs, "runs")
        try OptionRanges.check(warmup, OptionRanges.warmup, "warmup")
        guard (1...64).contains(heads), (1...512).contains(headDim) else { throw ValidationError("heads must be 1...64 and head-dim 1...512") }
        let ls = lengths.split(separator: ",").map { Int($0) }
        guard !ls.isEmpty, ls.allSatisfy({ $0 != nil && (1...20_000).contains($0!) }) else {
            throw ValidationError("lengths must be comma-separated integers in 1...20000")
        }
        guard ["both", "tiled", "unfused"].contains(path) else { throw ValidationError("path must be both, tiled or unfused") }
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        let ls = lengths.split(separator: ",").compactMap { Int($0) }
        print("self-attention, batch 1, \(heads) heads × \(headDim) channels, threads \(Threads.count), OpenBLAS \(Threads.blasCoreName), median of \(runs) after \(warmup) warm-up")
        print("")
        print("| tokens | tiled ms | unfused ms | unfused / tiled | tiled scratch | unfused scratch (one head's scores) | max |diff| |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        var rng = SystemRandomNumberGenerator()
        for l in ls {
            let e = heads * headDim
            let g = AttentionGeometry(batch: 1, heads: heads, queries: l, keys: l, headDim: headDim)
            let q = Tensor(zeros: [l, e]), k = Tensor(zeros: [l, e]), v = Tensor(zeros: [l, e])
            for t in [q, k, v] { for i in 0..<t.count { t.pointer[i] = Float.random(in: -1...1, using: &rng) } }
            let o1 = Tensor(zeros: [l, e]), o2 = Tensor(zeros: [l, e])
            let ws = Workspace()
            let tiled = path == "unfused" ? .nan : time { FlashAttention.attention(g, q: q.pointer, k: k.pointer, v: v.pointer, o: o1.pointer, workspace: ws) }
            var unfused = Double.nan
            if path != "tiled" {
                let scores = Tensor(zeros: [l, l])   // one head's scores, reused head after head
                unfused = time { Self.unfused(g, q: q.pointer, k: k.pointer, v: v.pointer, scores: scores.pointer, o: o2.pointer) }
            }
            var diff: Float = 0
            for i in 0..<o1.count { diff = max(diff, abs(o1.pointer[i] - o2.pointer[i])) }
            print("| \(l) | \(f(tiled, 1)) | \(f(unfused, 1)) | \(f(unfused / tiled, 2)) | \(bytes(ws.capacity * 4)) | \(bytes(l * l * 4)) | \(String(format: "%.1e", diff)) |")
        }
    }

    /// Unfused attention: per head one `L × L` score GEMM into `scores` (reused by every head), a row softmax, one value GEMM.
    static func unfused(_ g: AttentionGeometry, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        scores: UnsafeMutablePointer<Float>, o: UnsafeMutablePointer<Float>) {
        let l = g.queries, n = g.keys, d = g.headDim
        for h in 0..<g.heads {
            let s = scores
            GEMM.sgemm(transA: false, transB: true, m: l, n: n, k: d, alpha: g.scale, a: q + h * d, lda: g.ldq, b: k + h * d, ldb: g.ldk,
                       beta: 0, c: s, ldc: n)
            Threads.parallelFor(l, minPerChunk: 16) { r0, r1 in
                for r in r0..<r1 {
                    let row = s + r * n
                    var mx = -Float.infinity
                    for j in 0..<n { mx = max(mx, row[j]) }
                    var sum: Float = 0
                    for j in 0..<n { let p = VectorMath.exp(row[j] - mx); row[j] = p; sum += p }
                    let inv = 1 / sum
                    for j in 0..<n { row[j] *= inv }
                }
            }
            GEMM.sgemm(transA: false, transB: false, m: l, n: d, k: n, alpha: 1, a: s, lda: n, b: v + h * d, ldb: g.ldv,
                       beta: 0, c: o + h * d, ldc: g.ldo)
        }
    }

    func time(_ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var ts: [Double] = []
        for _ in 0..<max(1, runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            ts.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        ts.sort()
        return ts[ts.count / 2]
    }

    func f(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
    func bytes(_ n: Int) -> String { n >= 1 << 20 ? String(format: "%.1f MB", Double(n) / 1048576) : String(format: "%.0f KB", Double(n) / 1024) }
}
