import ArgumentParser
import Foundation
import ZooModels
import ZooPipelines
import ZooTensor

/// The options `vz gallery` and `vz identify` share: the gallery file, the face pipeline (as `vz verify`'s) and
/// the open-set threshold.
struct FacePipelineOptions: ParsableArguments {
    @Option(help: "Gallery: a SQLite file (created if missing) or postgres://USER[:PASSWORD]@HOST[:PORT]/DB (shared; see `vz gallery --help`); default: VZ_GALLERY, else weights/gallery/faces.sqlite.")
    var gallery: String?

    @Option(help: "Face detector: \(FaceModelFactory.detectorNames.joined(separator: ", ")).")
    var detector = FaceModelFactory.defaultDetector

    @Option(help: "Recognizer: \(FaceModelFactory.recognizerNames.joined(separator: ", ")) (a gallery holds one recognizer's embeddings).")
    var recognizer = FaceModelFactory.defaultRecognizer

    @Option(help: "Recognizer weights (file or folder; default: weights/<name> or VZ_WEIGHTS_PATH).")
    var weights: String?

    @Option(help: "Detector weights folder (default: weights/<name> or VZ_WEIGHTS_PATH).")
    var detectorWeights: String?

    @Flag(help: "Inputs are already aligned face crops (ArcFace 112x112 layout): skip detection.")
    var aligned = false

    @Flag(help: "Do not try other orientations when no upright face is found.")
    var noRotate = false

    @Option(help: "Target open-set false positive identification rate, in (0, 1) (default 0.01): the threshold is calibrated for it and the gallery's size.")
    var fpir: Double = OpenSetThreshold.defaultFPIR

    @Option(help: "Fixed cosine threshold, \(OptionRanges.text(OptionRanges.cosine)), instead of the calibrated one (not adjusted for the gallery size).")
    var threshold: Float?

    @OptionGroup var precisionOption: PrecisionOption

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?

    func validate() throws {
        guard fpir > 0 && fpir < 1 else { throw ValidationError("--fpir must be in (0, 1), got \(fpir)") }
        try OptionRanges.check(threshold, OptionRanges.cosine, "threshold")
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
    }

    var galleryLocation: String { gallery ?? Gallery.defaultLocation() }

    func openGallery() throws -> Gallery { try Gallery.open(galleryLocation) }

    /// Loads the models (errors are the caller's exit code 2): the pipeline and the recognizer's identity.
    func makeVerifier() throws -> (verifier: FaceVerifier, recognizer: RecognizerID) {
        if let threads { Threads.set(threads) }
        precisionOption.apply()
        let weightsURL = weights.map { URL(fileURLWithPath: $0) }
        let emb = try FaceModelFactory.embedder(recognizer, weights: weightsURL)
        let det = aligned ? nil : try FaceModelFactory.detector(detector, weights: detectorWeights.map { URL(fileURLWithPath: $0) })
        let verifier = FaceVerifier(detector: det, embedder: emb, threshold: FaceThresholds.calibrated(recognizer) ?? .user(0), aligned: aligned)
        verifier.tryRotations = !noRotate
        return (verifier, FaceModelFactory.recognizerID(recognizer, weights: weightsURL))
    }

    /// The open-set threshold policy of `--fpir` / `--threshold`.
    var policy: OpenSetThreshold { OpenSetThreshold(fpir: fpir, user: threshold) }

    /// Loads the models and opens the gallery (errors are the caller's exit code 2).
    func makeIdentifier() throws -> FaceIdentifier {
        let (verifier, id) = try makeVerifier()
        return FaceIdentifier(verifier: verifier, recognizer: id, gallery: try openGallery(), policy: policy)
    }
}

/// JSON lines for Encodable values (keys sorted, slashes unescaped).
enum JSONLine {
    static func of<T: Encodable>(_ v: T) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try enc.encode(v), as: UTF8.self)
    }
}
