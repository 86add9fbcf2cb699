import Foundation

/// Cooperative interruption of long computations (a forward pass, a face pyramid).
///
/// A thread runs work under an `InterruptFlag` (`Interruption.run(with:_:)`); layer loops call
/// `Interruption.check()` between layers, which throws `Interrupted` once the flag is raised (e.g. by a deadline
/// timer on another thread). Work run without a flag is never interrupted, and a check costs one
/// thread-local read and one lock, so it belongs between layers, not inside kernels.
public final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    private var why = ""

    public init() {}

    /// Raises the flag: the next `Interruption.check()` on the threads running under it throws.
    public func raise(_ reason: String) {
        lock.lock(); if !raised { raised = true; why = reason }; lock.unlock()
    }

    /// The reason given to `raise`, or nil while the flag is down.
    public var reason: String? { lock.lock(); defer { lock.unlock() }; return raised ? why : nil }
}

/// Thrown by `Interruption.check()` when the running work's flag was raised.
public struct Interrupted: Error, CustomStringConvertible, LocalizedError {
    public let reason: String
    public var description: String { "interrupted: \(reason)" }
    public var errorDescription: String? { description }
}

public enum Interruption {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// Runs `body` on the current thread with `flag` installed (restoring the previous flag afterwards).
    public static func run<T>(with flag: InterruptFlag, _ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(key)
        let retained = Unmanaged.passRetained(flag)
        pthread_setspecific(key, retained.toOpaque())
        defer {
            pthread_setspecific(key, previous)
            retained.release()
        }
        return try body()
    }

    /// The flag installed on this thread, if any.
    public static var current: InterruptFlag? {
        guard let p = pthread_getspecific(key) else { return nil }
        return Unmanaged<InterruptFlag>.fromOpaque(p).takeUnretainedValue()
    }

    /// Throws `Interrupted` if this thread's flag has been raised.
    @inline(__always)
    public static func check() throws {
        if let flag = current, let reason = flag.reason { throw Interrupted(reason: reason) }
    }
}
