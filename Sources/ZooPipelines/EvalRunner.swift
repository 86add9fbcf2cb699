import Foundation
import ZooDetect
import ZooEval

/// Runs a detector over the images of an annotated dataset and returns its detections in the dataset's ids,
/// ready for `COCOEvaluator` / `VOCEvaluator` — the `vz eval --model` path.
///
/// The detector is any closure `(image file) throws -> [Detection]` plus its class names; classes are mapped onto
/// the dataset's categories by name (`ClassMapping`: exact, normalised, VOC ↔ COCO aliases). Progress goes to
/// stderr (`ProgressReporter`: a bar with ETA on a terminal, otherwise a line every 5 s).
public struct EvalRunner {
    /// A detector as the runner needs it.
    public struct Detector {
        /// The model's class names, indexed by `Detection.classID`.
        public var classNames: [String]
        /// Detects objects in one image file (boxes in that image's pixels).
        public var detect: (URL) throws -> [Detection]

        public init(classNames: [String], detect: @escaping (URL) throws -> [Detection]) {
            self.classNames = classNames; self.detect = detect
        }
    }

    /// The zoo detector `model` as the runner needs it: the same `ZooPipelines.Detector` as `vz detect`, with
    /// COCO practice's low score threshold and per-image cap (the NMS IoU stays the pipeline default), and
    /// multi-label decoding as `yolo val` uses for mAP.
    /// `options`: `vz eval --iou/--size/--no-letterbox`; its confidence, cap and multi-label setting are set here.
    public static func detector(model: String, scoreThreshold: Float, maxDetections: Int,
                                options base: DetectorOptions = .init(), store: WeightsStore = .standard()) throws -> Detector {
        var options = base
        options.confidence = scoreThreshold; options.maxDetections = maxDetections; options.multiLabel = true
        let pipeline = try ZooPipelines.Detector.load(model, store: store, options: options)
        return Detector(classNames: pipeline.classes.names) { url in
            try pipeline.detect(contentsOf: url).detections
        }
    }

    public let detector: Detector
    /// Detections kept per image (highest scores), like COCO practice's 100.
    public var maxPerImage: Int
    /// Progress on stderr (`ProgressReporter`, labelled `vz eval`); false for none.
    public var showsProgress: Bool

    public init(detector: Detector, maxPerImage: Int = 100, showsProgress: Bool = true) {
        self.detector = detector; self.maxPerImage = maxPerImage; self.showsProgress = showsProgress
    }

    /// The outcome of running the detector over a dataset.
    public struct Run {
        public var detections: [ResultDetection]
        public var mapping: ClassMapping
        public var seconds: Double
    }

    /// Detects on every image of `groundTruth` (file `imagesDirectory/fileName`), in image-id order.
    public func run(groundTruth gt: GroundTruth, imagesDirectory: URL) throws -> Run {
        let mapping = ClassMapping(source: detector.classNames, target: gt.categories)
        let images = gt.images.sorted { $0.id < $1.id }
        var out: [ResultDetection] = []
        let start = Date()
        let progress = showsProgress ? ProgressReporter(total: images.count, label: "vz eval") : nil
        for (n, image) in images.enumerated() {
            let url = imagesDirectory.appendingPathComponent(image.fileName)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw EvalError.mismatch("image \(image.fileName) (id \(image.id)) is not in \(imagesDirectory.path)")
            }
            var dets = try detector.detect(url)
            if dets.count > maxPerImage {
                dets = dets.enumerated().sorted { $0.element.score > $1.element.score
                    || ($0.element.score == $1.element.score && $0.offset < $1.offset) }.prefix(maxPerImage).map(\.element)
            }
            for d in dets {
                guard d.classID >= 0, d.classID < mapping.categoryForSource.count,
                      let category = mapping.categoryForSource[d.classID] else { continue }
                out.append(ResultDetection(imageID: image.id, categoryID: category, x: Double(d.box.x1), y: Double(d.box.y1),
                                           width: Double(d.box.x2 - d.box.x1), height: Double(d.box.y2 - d.box.y1),
                                           score: Double(d.score)))
            }
            progress?.update(done: n + 1, current: image.fileName)
        }
        progress?.finish(total: images.count)
        return Run(detections: out, mapping: mapping, seconds: Date().timeIntervalSince(start))
    }
}
