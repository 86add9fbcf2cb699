import Foundation

/// A fixed set of independently loaded model instances, lent out one caller at a time.
///
/// The admission gate bounds the callers to the number of instances, so `with` never waits; the lock only
/// guards the free list. An empty free list means the gate and the pool are out of step (a bug): an error, not a wait.
final class InstancePool<Instance>: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Instance]
    private let label: String

    /// `label` names the pool in the out-of-step error (e.g. "detector instance for yolov3-tiny").
    init(_ instances: [Instance], label: String) {
        precondition(!instances.isEmpty, "an instance pool needs at least one instance")
        free = instances
        self.label = label
    }

    /// Runs `body` with an exclusive instance and returns it to the pool afterwards.
    func with<T>(_ body: (Instance) throws -> T) throws -> T {
        let instance: Instance? = lock.withLock { free.popLast() }
        guard let instance else {
            throw ServeError.internalError("no free \(label) (admission gate out of step)")
        }
        defer { lock.withLock { free.append(instance) } }
        return try body(instance)
    }
}
