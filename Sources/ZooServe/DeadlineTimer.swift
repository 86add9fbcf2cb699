import Foundation

/// Runs a closure at a `ContinuousClock` deadline on a dedicated serial dispatch queue.
///
/// Deadlines must not depend on the Swift-concurrency global executor: on Linux it shares the dispatch worker
/// pool (about one thread per core) with blocking work such as `DispatchQueue.concurrentPerform` in inference and
/// with blocking clients, and a timer `Task` there fired only once that work had ended, so requests past
/// `--timeout-s` were answered late with 200 instead of 504 at the deadline. A serial queue gets its own
/// (overcommit) thread whenever it has work.
enum DeadlineTimer {
    static let queue = DispatchQueue(label: "vz.serve.deadlines", qos: .userInteractive)

    /// Schedules `body` at `deadline` (at once if it has passed); cancel the returned item to drop it.
    @discardableResult
    static func schedule(at deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () -> Void) -> DispatchWorkItem {
        let item = DispatchWorkItem(block: body)
        let remaining = max(0, (deadline - ContinuousClock.now).seconds)
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(min(remaining, 86_400) * 1e9)), execute: item)
        return item
    }
}
