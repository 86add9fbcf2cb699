import Foundation
import ZooTensor

/// Runs blocking CPU work (model inference) on a dedicated thread, off the Swift-concurrency pool, and stops
/// waiting for it at a deadline.
///
/// Each job gets its own `Thread` (the admission gate bounds how many run; creating one costs microseconds
/// against milliseconds of inference). Jobs must not run on the shared dispatch worker pool: on Linux the Swift
/// global executor uses the same few threads, and blocking them there starved the HTTP handlers and the
/// deadline timers. The deadline fires from `DeadlineTimer`, independent of both.
///
/// At the deadline the job's `InterruptFlag` is raised too: forward passes check it between layers
/// (`Interruption.check()`) and stop with `Interrupted`, so a timed-out job holds its thread — and the admission
/// permit — for at most about one layer past its deadline. `onFinish` runs when the job really ends, so the
/// permit is returned only then and the concurrency bound holds for actual CPU work. A job whose deadline has
/// passed before its thread starts is not run at all.
enum BlockingRunner {
    /// Stack size of the inference threads (the process main thread's default, 8 MiB).
    static let stackSize = 8 << 20

    static func run<T: Sendable>(deadline: ContinuousClock.Instant,
                                 _ work: @escaping @Sendable () throws -> T,
                                 onFinish: @escaping @Sendable () -> Void) async throws -> T {
        let once = Once<T>()
        let flag = InterruptFlag()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            once.set(c)
            let timer = DeadlineTimer.schedule(at: deadline) {
                flag.raise("request deadline passed")
                once.resume(.failure(ServeError.timeout(stage: "inference")))
            }
            let thread = Thread {
                let r: Result<T, Error>
                if ContinuousClock.now >= deadline {
                    r = .failure(ServeError.timeout(stage: "inference"))
                } else {
                    r = Result { try Interruption.run(with: flag) { try work() } }
                }
                onFinish()
                timer.cancel()
                once.resume(r)
            }
            thread.name = "vz.serve.inference"
            thread.stackSize = stackSize
            thread.start()
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
