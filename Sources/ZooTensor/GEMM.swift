import CBLAS

/// Single-precision matrix multiply on OpenBLAS (row-major `cblas_sgemm`).
public enum GEMM {
    /// `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C`, all row-major with leading dimensions
    /// `lda`, `ldb`, `ldc`; `op(X)` is `X` or its transpose. Multi-threaded per `Threads.count`.
    @inlinable
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {  // BLAS leaves C untouched for k == 0 only when beta == 1; make it explicit
            for i in 0..<m { let row = c + i * ldc; for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
