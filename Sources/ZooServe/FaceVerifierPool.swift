import Foundation
import ZooModels
import ZooPipelines

/// `count` independently loaded face pipelines (detector + recognizer: `FaceVerifier`, the code path of
/// `vz verify`), lent out one caller at a time like `DetectorPool`. The admission gate bounds the callers, so a
/// free verifier always exists for a caller holding a permit.
final class FaceVerifierPool: @unchecked Sendable {
    let detectorName: String
    let recognizerName: String
    /// The recognizer's calibrated threshold (the default decision threshold, as `vz verify` without `--threshold`).
    let threshold: FaceThreshold
    /// The recognizer's aligned chip, width × height.
    let chipSize: (width: Int, height: Int)
    private let instances: InstancePool<FaceVerifier>

    /// `"mtcnn+sface"`: the pipeline's name in `/v1/models` and the metrics.
    var name: String { "\(detectorName)+\(recognizerName)" }

    /// Loads the pair `count` times. Weights: a zoo model (`mtcnn`, `dlib-resnet`) must be in `store`, like the
    /// detectors; other models resolve as `vz verify` resolves them (`weights/<folder>`, `VZ_WEIGHTS_PATH`).
    init(detector: String, recognizer: String, count: Int, store: WeightsStore) throws {
        guard let threshold = FaceThresholds.calibrated(recognizer) else {
            throw ServeError.internalError("no calibrated threshold for recognizer '\(recognizer)' (calibrated: \(FaceThresholds.measured.keys.sorted().joined(separator: ", ")))")
        }
        // Zoo models must be in `store` (as the detectors); a missing one is a clear error naming `vz weights pull`.
        func located(_ name: String) throws -> URL? {
            guard let card = try? ModelZoo.entry(named: name).card else { return nil }
            return try store.require(card)
        }
        var list: [FaceVerifier] = []
        for _ in 0..<max(1, count) {
            list.append(FaceVerifier(detector: try FaceModelFactory.detector(detector, weights: try located(detector)),
                                     embedder: try FaceModelFactory.embedder(recognizer, weights: try located(recognizer)),
                                     threshold: threshold))
        }
        detectorName = detector
        recognizerName = recognizer
        self.threshold = threshold
        chipSize = list[0].embedder.inputSize
        instances = InstancePool(list, label: "face verifier")
    }

    /// Runs `body` with an exclusive verifier (its models are used by no one else meanwhile).
    func withVerifier<T>(_ body: (FaceVerifier) throws -> T) throws -> T { try instances.with(body) }
}
