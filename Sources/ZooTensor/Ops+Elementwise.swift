import Foundation

extension Ops {
    /// `y = act(a + b)`, element-wise; `a`, `b`, `y` have the same element count (`y` may alias either input).
    public static func add(_ a: Tensor, _ b: Tensor, into y: Tensor, activation: Activation = .linear) {
        precondition(a.shape == b.shape && a.count == y.count, "add: shapes \(a.shape), \(b.shape) -> \(y.shape)")
        let pa = a.pointer, pb = b.pointer, py = y.pointer
        Threads.parallelFor(y.count, minPerChunk: 1 << 15) { s, e in
            for i in s..<e { py[i] = pa[i] + pb[i] }
            if activation != .linear { VectorMath.biasActivate(py + s, count: e - s, bias: 0, activation) }
        }
    }

    /// `y = a * b`, element-wise; same element counts (`y` may alias either input).
    public static func mul(_ a: Tensor, _ b: Tensor, into y: Tensor) {
        precondition(a.shape == b.shape && a.count == y.count, "mul: shapes \(a.shape), \(b.shape) -> \(y.shape)")
        let pa = a.pointer, pb = b.pointer, py = y.pointer
        Threads.parallelFor(y.count, minPerChunk: 1 << 15) { s, e in for i in s..<e { py[i] = pa[i] * pb[i] } }
    }

    /// `y = act(x)`, element-wise; `x` and `y` may be the same tensor.
    public static func activate(_ x: Tensor, _ a: Activation, into y: Tensor) {
        precondition(x.count == y.count, "activate: \(x.shape) -> \(y.shape)")
        VectorMath.activate(x.pointer, y.pointer, count: x.count, a)
    }

    /// Softmax along `axis` (numerically stable: the maximum is subtracted first); `y` may alias `x`.
    public static func softmax(_ x: Tensor, axis: Int, into y: Tensor) {
        precondition(x.shape == y.shape, "softmax: \(x.shape) -> \(y.shape)")
        let a = normalize(axis: axis, rank: x.rank)
        let outer = product(x.shape, 0..<a), len = x.shape[a], inner = product(x.shape, (a + 1)..<x.rank)
        guard len > 0 else { return }
        let px = x.pointer, py = y.pointer
        Threads.parallelFor(outer * inner, minPerChunk: max(1, 4096 / len)) { s, e in
            for idx in s..<e {
                let o = idx / inner, i = idx % inner
                let src = px + o * len * inner + i, dst = py + o * len * inner + i
                var m = -Float.infinity
                for j in 0..<len { m = Swift.max(m, src[j * inner]) }
                var sum: Float = 0
                for j in 0..<len { let v = Foundation.exp(src[j * inner] - m); dst[j * inner] = v; sum += v }
                let inv = 1 / sum
                for j in 0..<len { dst[j * inner] *= inv }
            }
        }
    }

    /// `c = op(a) · op(b)` for 2-D tensors (`op` = optional transpose) via `cblas_sgemm`.
    public static func matmul(_ a: Tensor, _ b: Tensor, into c: Tensor, transA: Bool = false, transB: Bool = false) {
        precondition(a.rank == 2 && b.rank == 2 && c.rank == 2, "matmul needs 2-D tensors: \(a.shape) \(b.shape) \(c.shape)")
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1]
        precondition(k == kb && c.shape == [m, n], "matmul: \(a.shape)\(transA ? "ᵀ" : "") · \(b.shape)\(transB ? "ᵀ" : "") -> \(c.shape)")
        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a.pointer, lda: a.shape[1],
                   b: b.pointer, ldb: b.shape[1], beta: 0, c: c.pointer, ldc: n)
    }
}
