import Foundation
import ZooPipelines

/// `count` independently loaded `Detector`s of one model, lent out one caller at a time.
///
/// The admission gate bounds callers to `count`, so `withDetector` never waits for an instance; the lock only
/// guards the free list.
final class DetectorPool: @unchecked Sendable {
    let name: String
    let classNames: [String]
    let inputSize: Int
    private let lock = NSLock()
    private var free: [Detector]

    /// Loads the model `count` times (each instance plans its own buffers).
    init(name: String, count: Int, store: WeightsStore, maxPixels: Int) throws {
        var detectors: [Detector] = []
        for _ in 0..<max(1, count) {
            let d = try Detector.load(name, store: store)
            d.decodeOptions.maxPixels = maxPixels
            detectors.append(d)
        }
        self.name = name
        classNames = detectors[0].model.classNames
        inputSize = detectors[0].preprocess.shape.last ?? 0
        free = detectors
    }

    /// Runs `body` with an exclusive detector.
    func withDetector<T>(_ body: (Detector) throws -> T) throws -> T {
        lock.lock()
        guard let d = free.popLast() else {
            lock.unlock()
            throw ServeError.internalError("no free detector instance for \(name) (admission gate out of step)")
        }
        lock.unlock()
        defer { lock.lock(); free.append(d); lock.unlock() }
        return try body(d)
    }
}
