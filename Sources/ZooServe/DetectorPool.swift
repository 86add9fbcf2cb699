import Foundation
import ZooPipelines

/// `count` independently loaded `Detector`s of one model, lent out one caller at a time.
///
/// The admission gate bounds callers to `count`, so `withDetector` never waits for an instance (`InstancePool`).
final class DetectorPool: @unchecked Sendable {
    let name: String
    let classNames: [String]
    let inputSize: Int
    private let instances: InstancePool<Detector>

    /// Loads the model `count` times (each instance plans its own buffers).
    init(name: String, count: Int, store: WeightsStore, maxPixels: Int) throws {
        var detectors: [Detector] = []
        for _ in 0..<max(1, count) {
            let d = try Detector.load(name, store: store)
            d.decodeOptions.maxPixels = maxPixels
            detectors.append(d)
        }
        self.name = name
        classNames = detectors[0].classes.names
        inputSize = detectors[0].preprocess.shape.last ?? 0
        instances = InstancePool(detectors, label: "detector instance for \(name)")
    }

    /// Runs `body` with an exclusive detector.
    func withDetector<T>(_ body: (Detector) throws -> T) throws -> T { try instances.with(body) }
}
