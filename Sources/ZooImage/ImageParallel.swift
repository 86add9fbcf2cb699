import Dispatch
import Foundation

/// Row-parallel loops for the image kernels (ZooImage does not depend on ZooTensor's `Threads`).
///
/// `maxThreads` defaults to `VZ_THREADS` when set, else the number of active cores; callers that own a global
/// thread setting (the CLI's `--threads`) assign it here too.
public enum ImageParallel {
    nonisolated(unsafe) public static var maxThreads: Int = {
        if let s = ProcessInfo.processInfo.environment["VZ_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Calls `body(start, end)` over `0..<total` split into contiguous chunks, in parallel when there is enough
    /// work (`total / minPerChunk` chunks at most, one per thread).
    public static func forEachChunk(_ total: Int, minPerChunk: Int, _ body: (Int, Int) -> Void) {
        guard total > 0 else { return }
        let chunks = max(1, min(maxThreads, total / max(1, minPerChunk)))
        if chunks == 1 { body(0, total); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let start = total * i / chunks, end = total * (i + 1) / chunks
            if start < end { body(start, end) }
        }
    }
}
