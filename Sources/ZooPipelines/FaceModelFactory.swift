import Foundation
import ZooModels

/// Zoo names → face detectors and embedders, with weights resolved by `FaceWeights.locate` (or `--weights`).
public enum FaceModelFactory {
    public static let detectorNames = ["mtcnn"]
    public static let recognizerNames = ["dlib-resnet"]

    /// Error for unknown names or missing weights.
    public struct Failure: Error, CustomStringConvertible, LocalizedError {
        public var description: String
        public var errorDescription: String? { description }
    }

    /// The detector `name`; `weights` overrides the weights folder.
    public static func detector(_ name: String, weights: URL? = nil) throws -> any FaceDetector {
        switch name {
        case "mtcnn":
            return try MTCNN(directory: try folder(FaceWeights.mtcnn, weights))
        default:
            throw Failure(description: "unknown face detector '\(name)' (available: \(detectorNames.joined(separator: ", ")))")
        }
    }

    /// The recogniser `name`; `weights` overrides the weights file/folder.
    public static func embedder(_ name: String, weights: URL? = nil) throws -> any FaceEmbedder {
        switch name {
        case "dlib-resnet":
            let file = FaceWeights.dlibResNet.files[0].name
            if let weights, !weights.hasDirectoryPath, FileManager.default.fileExists(atPath: weights.path),
               !((try? weights.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory ?? false) {
                return try DlibResNet(contentsOf: weights)
            }
            return try DlibResNet(contentsOf: try folder(FaceWeights.dlibResNet, weights).appendingPathComponent(file))
        default:
            throw Failure(description: "unknown face recognizer '\(name)' (available: \(recognizerNames.joined(separator: ", ")))")
        }
    }

    static func folder(_ spec: FaceWeightsSpec, _ override: URL?) throws -> URL {
        if let f = FaceWeights.locate(spec, override: override) { return f }
        let files = spec.files.map(\.name).joined(separator: ", ")
        if let override { throw Failure(description: "\(override.path): needs \(files) for \(spec.id)") }
        throw Failure(description: "weights for \(spec.id) not found (\(files) in weights/\(spec.folder) or VZ_WEIGHTS_PATH); run `vz weights pull \(spec.id)`")
    }
}
