import CBLAS
import CDNNL
import Dispatch
import Foundation

/// The one thread setting of VisionZoo: OpenBLAS, oneDNN (OpenMP) and our own parallel loops follow it.
///
/// Resolution order: `Threads.set(_:)` (the CLI's `--threads`), else the `VZ_THREADS` environment
/// variable, else all online cores.
public enum Threads {
    @usableFromInline nonisolated(unsafe) static var current: Int = {
        let n = defaultCount
        openblas_set_num_threads(Int32(n))
        omp_set_num_threads(Int32(n))
        return n
    }()

    /// `VZ_THREADS` if set to a positive integer, else the number of active processors.
    public static var defaultCount: Int {
        if let s = ProcessInfo.processInfo.environment["VZ_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Threads used by parallel loops and by OpenBLAS.
    public static var count: Int { current }

    /// Sets the thread count for OpenBLAS and our own loops (values < 1 mean "all cores").
    public static func set(_ n: Int) {
        let v = n >= 1 ? n : max(1, ProcessInfo.processInfo.activeProcessorCount)
        current = v
        openblas_set_num_threads(Int32(v))
        omp_set_num_threads(Int32(v))  // this thread's; other threads set theirs before each oneDNN call
    }

    /// Runs `body(chunkStart, chunkEnd)` over `0..<total` split into at most `count` contiguous chunks,
    /// in parallel. Work smaller than `minPerChunk` items per chunk runs on fewer threads.
    @inlinable
    public static func parallelFor(_ total: Int, minPerChunk: Int = 1, _ body: (Int, Int) -> Void) {
        guard total > 0 else { return }
        let chunks = max(1, min(count, total / max(1, minPerChunk)))
        if chunks == 1 { body(0, total); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = total * c / chunks
            let end = total * (c + 1) / chunks
            if start < end { body(start, end) }
        }
    }

    /// Runs `body` with OpenBLAS limited to one thread (restored to `count` afterwards), for loops that call
    /// many GEMMs from our own parallel workers: OpenBLAS serialises concurrent multi-threaded calls.
    @inlinable
    public static func withSingleThreadedBLAS(_ body: () -> Void) {
        if current <= 1 { body(); return }
        openblas_set_num_threads(1)
        body()
        openblas_set_num_threads(Int32(current))
    }

    /// The BLAS library's description, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64`.
    public static var blasConfig: String { String(cString: openblas_get_config()) }
    /// The OpenBLAS kernel family in use, e.g. `Haswell` or `Cooperlake`.
    public static var blasCoreName: String { String(cString: openblas_get_corename()) }
}
