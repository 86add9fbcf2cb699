import Foundation

/// Runs blocking CPU work (model inference) off the Swift concurrency pool, on its own dispatch queue, and
/// stops waiting for it at a deadline.
///
/// A timed-out job keeps running to completion (inference cannot be interrupted mid-layer); `onFinish` runs
/// when it really ends, so the admission permit it holds is returned only then and the concurrency bound
/// holds for actual CPU work.
enum BlockingRunner {
    static let queue = DispatchQueue(label: "vz.serve.inference", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(deadline: ContinuousClock.Instant,
                                 _ work: @escaping @Sendable () throws -> T,
                                 onFinish: @escaping @Sendable () -> Void) async throws -> T {
        let once = Once<T>()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            once.set(c)
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled { once.resume(.failure(ServeError.timeout(stage: "inference"))) }
            }
            queue.async {
                let r = Result { try work() }
                onFinish()
                timer.cancel()
                once.resume(r)
            }
        }
    }

    /// Resumes a continuation exactly once, whichever of the job and the timer comes first.
    private final class Once<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<T, Error>?
        func set(_ c: CheckedContinuation<T, Error>) { lock.lock(); continuation = c; lock.unlock() }
        func resume(_ r: Result<T, Error>) {
            lock.lock()
            let c = continuation
            continuation = nil
            lock.unlock()
            c?.resume(with: r)
        }
    }
}
