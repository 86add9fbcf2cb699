import Foundation
import ZooDetect
import ZooImage
import ZooModels
import ZooNN

/// The object-detection pipeline: image bytes/file → decode → `Preprocess` → model → candidates → the
/// post-processing the model declares (the shared NMS, or none) → boxes in original pixels → `DetectorResult` (JSON). The CLI (`vz detect`), `vz eval --model` and the
/// HTTP service all use this type, so they cannot disagree.
///
/// Thread-safe: calls are serialised (the model plans its buffers once and reuses them).
public final class Detector: @unchecked Sendable {
    public let model: any ObjectDetectionModel
    public let options: DetectorOptions
    public let preprocess: Preprocess
    /// Allowed class ids (nil: all), from `options.classes`.
    public let classFilter: Set<Int>?
    /// The class names every result prints (COCO's spelling for COCO models).
    public let classes: DetectorClasses
    /// Image decoding limits.
    public var decodeOptions = DecodeOptions()
    private let lock = NSLock()
    private var inputTensor: Tensor

    /// Wraps a model; fails on a bad `size` or unknown class names. `classNames` (one per class of the model, in
    /// id order) replaces the names the results print, e.g. a user's names for a model trained on other data.
    public init(model: any ObjectDetectionModel, options: DetectorOptions = .init(), classNames: [String]? = nil) throws {
        for (name, v) in [("conf", options.confidence), ("iou", options.iou)] where !DetectorLimits.threshold.contains(v) {
            throw DetectorError.outOfRange(name, "\(v)", "\(DetectorLimits.threshold)")
        }
        guard DetectorLimits.maxDetections.contains(options.maxDetections) else {
            throw DetectorError.outOfRange("max-det", "\(options.maxDetections)", "\(DetectorLimits.maxDetections)")
        }
        self.model = model
        self.options = options
        preprocess = try Preprocess(input: model.card.input, size: options.size, resize: options.resize)
        if let classNames, classNames.count != model.classNames.count {
            throw DetectorError.classNames("\(classNames.count) class names were given; \(model.card.name) has \(model.classNames.count) classes")
        }
        let vocabulary = DetectorClasses(modelNames: classNames ?? model.classNames)
        classes = vocabulary
        classFilter = try options.classes.map { try vocabulary.resolve($0, model: model.card.name) }
        inputTensor = Tensor(zeros: preprocess.resize == .shortestSide ? [1, 3, 0, 0] : preprocess.shape)
    }

    /// Loads zoo model `name` with weights from `store`, or from `weightsFile` (any compatible file in place of
    /// the entry's single weight file, e.g. a fine-tuned torchvision checkpoint; not checksum-pinned).
    ///
    /// `classNames` (`vz detect --names FILE`): the classes of a checkpoint trained on other data, in label order
    /// without background. Families that read their class count from the checkpoint (torchvision, DETR) take them
    /// as the labels of its non-background outputs; for the others they rename the model's classes and must be as
    /// many.
    public static func load(_ name: String, store: WeightsStore = .standard(), options: DetectorOptions = .init(),
                            weightsFile: URL? = nil, classNames: [String]? = nil) throws -> Detector {
        var entry = try ModelZoo.entry(named: name)
        entry.card.classNames = classNames
        guard case .detector(let make) = entry.factory else {
            throw ModelZooError.wrongTask(name, expected: .detection, actual: entry.card.task)
        }
        if let weightsFile {
            guard entry.card.files.count == 1 else {
                throw DetectorError.unreadable(weightsFile.path, "\(name) needs \(entry.card.files.count) files (\(entry.card.files.map(\.name).joined(separator: ", "))): use a weights folder")
            }
            var card = entry.card
            card.files = [WeightFile(weightsFile.lastPathComponent)]
            return try Detector(model: try make(weightsFile.deletingLastPathComponent(), card), options: options, classNames: classNames)
        }
        let folder = try store.require(entry.card)
        return try Detector(model: try make(folder, entry.card), options: options, classNames: classNames)
    }

    /// Detects objects in an image file.
    public func detect(contentsOf url: URL) throws -> DetectorResult {
        let t0 = DispatchTime.now()
        let data: Data
        data = try ImageDecoder.readFile(url, maxBytes: decodeOptions.maxFileBytes)  // FIFO/device/ELOOP-safe
        let image = try ImageDecoder.decode(data, name: url.path, options: decodeOptions)
        let decodeTime = Self.ms(since: t0)
        var r = try detect(image, name: url.path)
        r.timings.decode = decodeTime
        return r
    }

    /// Detects objects in encoded image bytes (JPEG/PNG/WebP/BMP); `name` is reported as the result's `image`.
    public func detect(data: Data, name: String) throws -> DetectorResult {
        let t0 = DispatchTime.now()
        let image = try ImageDecoder.decode(data, name: name, options: decodeOptions)
        let decodeTime = Self.ms(since: t0)
        var r = try detect(image, name: name)
        r.timings.decode = decodeTime
        return r
    }

    /// Detects objects in a decoded image.
    public func detect(_ image: Image, name: String? = nil) throws -> DetectorResult {
        lock.lock(); defer { lock.unlock() }
        var timings = DetectorResult.Timings()
        var t = DispatchTime.now()
        let shape = preprocess.shape(for: image)
        if inputTensor.shape != shape { inputTensor = Tensor(zeros: shape) }   // `.shortestSide`: follows the image
        let transform = preprocess.apply(image, into: inputTensor)
        let content = preprocess.content(for: image)
        timings.preprocess = Self.ms(since: t)
        t = DispatchTime.now()
        var collector = CandidateCollector(confidence: options.confidence, limit: DetectorLimits.maxCandidates,
                                           classes: classFilter, classCount: model.classNames.count)
        collector.multiLabel = options.multiLabel
        try model.candidates(inputTensor, imageHeight: content.height, imageWidth: content.width, into: &collector)
        timings.inference = Self.ms(since: t)
        t = DispatchTime.now()
        try Interruption.check()
        var kept = model.postprocessing.apply(collector.detections(), iou: options.iou, agnostic: options.agnostic,
                                              maxDetections: options.maxDetections)
        for i in kept.indices {
            kept[i].box = transform.toOriginal(kept[i].box)
            kept[i].label = classes.name(kept[i].classID)
        }
        timings.postprocess = Self.ms(since: t)
        return DetectorResult(image: name, width: image.width, height: image.height, model: model.card.name,
                              timings: timings, detections: kept)
    }

    /// One untimed pass at this detector's input shape (a mid-grey image), so that the next call's timings are
    /// steady-state: buffers planned, weights and code paged in, thread pools started.
    public func warmUp() throws {
        let h = preprocess.shape[2], w = preprocess.shape[3]
        _ = try detect(Image(width: w, height: h, fill: (114, 114, 114)))
    }

    /// The model's own input shape (`1, 3, H, W` at its card's size).
    var defaultInputShape: [Int] { [1, 3, model.card.input.height, model.card.input.width] }

    /// Frees the model's buffers for input shapes other than its default one, if this detector runs at
    /// another size (the service calls it after a request with a `size` override, so one odd request does not
    /// keep its memory).
    public func releaseTransientBuffers() {
        lock.lock(); defer { lock.unlock() }
        if preprocess.shape != defaultInputShape { model.releaseBuffers(keepingInputShape: defaultInputShape) }
    }

    static func ms(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e6 }
}

/// Errors of the detection pipeline.
public enum DetectorError: Error, CustomStringConvertible, LocalizedError {
    /// A `classes` token that is no class of the model: (token, model, the valid names).
    case unknownClass(String, model: String, valid: [String])
    case emptyClassSelection(model: String, valid: [String])
    case unreadable(String, String)
    /// An option outside its documented range: (name, value, range).
    case outOfRange(String, String, String)
    /// `--names` that do not fit the model.
    case classNames(String)

    public var description: String {
        switch self {
        case .unknownClass(let n, let m, let valid):
            return "class '\(n)' is not one of \(m)'s classes; valid names (or ids 0...\(valid.count - 1)): \(valid.joined(separator: ", "))"
        case .emptyClassSelection(let m, let valid):
            return "classes names no class; give names or ids of \(m)'s classes: \(valid.joined(separator: ", "))"
        case .unreadable(let p, let m): return "\(p): cannot read: \(m)"
        case .outOfRange(let n, let v, let r): return "\(n) \(v) is outside its range \(r)"
        case .classNames(let m): return "--names: \(m)"
        }
    }
    public var errorDescription: String? { description }
}
