import Foundation

/// Bounded inference concurrency with a bounded FIFO queue in front of it.
///
/// At most `concurrency` permits are out at once; up to `queueLimit` callers wait (first in, first out) for one;
/// anyone beyond that is refused at once (`ServeError.overloaded`, mapped to `503` + `Retry-After`). A waiter
/// whose deadline passes leaves the queue with `ServeError.timeout`.
public final class AdmissionGate: @unchecked Sendable {
    public let concurrency: Int
    public let queueLimit: Int
    private let lock = NSLock()
    private var active = 0
    private var waiters: [Waiter] = []
    private var nextID = 0
    /// Ids whose timer fired before they were queued (so they must not be queued).
    private var expiredEarly: Set<Int> = []
    /// Ids between taking a number and entering the queue.
    private var pending: Set<Int> = []

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, Error>
    }

    public init(concurrency: Int, queueLimit: Int) {
        precondition(concurrency >= 1 && queueLimit >= 0)
        self.concurrency = concurrency
        self.queueLimit = queueLimit
    }

    /// Permits in use and callers waiting, right now.
    public var state: (active: Int, queued: Int) {
        lock.lock(); defer { lock.unlock() }
        return (active, waiters.count)
    }

    /// Takes a permit, waiting in the queue until `deadline` at most. Every successful call must be paired
    /// with one `release()`.
    public func acquire(deadline: ContinuousClock.Instant) async throws {
        guard let id = try takeNumber() else { return }   // nil: a permit was free
        // The queue deadline fires from `DeadlineTimer`, not a `Task`: a busy Swift-concurrency pool must not
        // delay it (see `DeadlineTimer`).
        let timer = DeadlineTimer.schedule(at: deadline) { [weak self] in self?.expire(id) }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in enqueue(id, c) }
    }

    /// Takes a free permit (returns nil), or a number for the queue, or refuses when the queue is full.
    /// Synchronous: the lock is never held across a suspension point.
    private func takeNumber() throws -> Int? {
        lock.lock(); defer { lock.unlock() }
        if active < concurrency {
            active += 1
            return nil
        }
        guard waiters.count < queueLimit else { throw ServeError.overloaded(queue: queueLimit) }
        let id = nextID
        nextID += 1
        pending.insert(id)
        return id
    }

    /// Queues `id`, or resumes `c` at once. The deadline may have passed, a permit freed or the queue filled up
    /// since `takeNumber`: re-checked under the lock (an expired caller must not take a permit, nor leave its id
    /// behind). The continuation is resumed after the lock is released.
    private func enqueue(_ id: Int, _ c: CheckedContinuation<Void, Error>) {
        lock.lock()
        pending.remove(id)
        let outcome: Result<Void, Error>?
        if expiredEarly.remove(id) != nil {
            outcome = .failure(ServeError.timeout(stage: "queue"))
        } else if active < concurrency {
            active += 1
            outcome = .success(())
        } else if waiters.count >= queueLimit {
            outcome = .failure(ServeError.overloaded(queue: queueLimit))
        } else {
            waiters.append(Waiter(id: id, continuation: c))
            outcome = nil
        }
        lock.unlock()
        if let outcome { c.resume(with: outcome) }
    }

    /// Returns a permit: hands it to the longest waiter, if any.
    public func release() {
        lock.lock()
        if waiters.isEmpty {
            active -= 1
            lock.unlock()
        } else {
            let w = waiters.removeFirst()
            lock.unlock()
            w.continuation.resume()
        }
    }

    private func expire(_ id: Int) {
        lock.lock()
        guard let i = waiters.firstIndex(where: { $0.id == id }) else {
            if pending.contains(id) { expiredEarly.insert(id) }   // not queued yet: refuse it when it arrives
            lock.unlock()
            return
        }
        let w = waiters.remove(at: i)
        lock.unlock()
        w.continuation.resume(throwing: ServeError.timeout(stage: "queue"))
    }
}
