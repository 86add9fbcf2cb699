import ArgumentParser
import Foundation
import ZooTensor
import ZooEval
import ZooPipelines

/// `vz eval`: COCO-exact (pycocotools) or Pascal VOC mAP of a detector or a results file on an annotated dataset.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate detections against annotations: pycocotools-exact COCO mAP or Pascal VOC AP.",
        discussion: """
        Ground truth: a COCO instances .json, a folder of Pascal VOC .xml files, or a folder of YOLO .txt labels
        (with a *.names/classes.txt file beside it or --names, and --images for the image sizes).
        Detections: a COCO results file (--detections; a list, or an object with 'annotations' and optionally
        'images'/'categories' to match by file name and class name), or a model run over --images (--model).
        Class names are matched by name, including VOC ↔ COCO aliases (aeroplane = airplane, sofa = couch, …).
        """)

    enum EvalProtocol: String, ExpressibleByArgument, CaseIterable { case coco, voc07, voc }

    @Option(help: "Ground truth: COCO .json file, VOC .xml folder or YOLO .txt folder.")
    var annotations: String

    @Option(help: "Annotation format (default: detected from the path): coco, yolo, voc.")
    var format: String?

    @Option(help: "Image folder (needed for --model, and for YOLO labels' image sizes).")
    var images: String?

    @Option(help: "Class names file, one per line (YOLO; VOC category order).")
    var names: String?

    @Option(help: "Detector to run over the images (conf 0.001, --max-dets per image).")
    var model: String?

    @Option(help: "COCO results file to evaluate.")
    var detections: String?

    @Option(name: .customLong("protocol"), help: "coco (pycocotools COCOeval), voc07 (11-point) or voc (all-point, VOC2010+).")
    var evalProtocol: EvalProtocol = .coco

    @Option(help: "Maximum detections per image, 1...\(DetectorLimits.maxDetections.upperBound) (pycocotools' largest maxDets).")
    var maxDets: Int = 100

    @Option(help: "Score threshold for --model, \(OptionRanges.text(DetectorLimits.threshold)).")
    var conf: Float = 0.001

    @Flag(help: "Count VOC 'difficult' boxes like any other (default: ignored, as VOC does).")
    var keepDifficult = false

    @OptionGroup var precisionOption: PrecisionOption

    @Flag(help: "Print the time spent reading and evaluating to stderr.")
    var timing = false

    @Option(help: "Write the numbers as JSON here.")
    var outputJson: String?

    @Option(help: "Write the evaluated detections as a COCO results file here.")
    var saveResults: String?

    @Option(help: "Write a precision/recall curve PNG (overall and per class) here.")
    var plot: String?

    func validate() throws {
        if (model == nil) == (detections == nil) { throw ValidationError("give exactly one of --model NAME or --detections FILE") }
        try OptionRanges.check(maxDets, 1...DetectorLimits.maxDetections.upperBound, "max-dets")
        try OptionRanges.check(conf, DetectorLimits.threshold, "conf")
        if let format, DatasetFormat(rawValue: format) == nil { throw ValidationError("--format must be coco, yolo or voc") }
    }

    func run() throws {
        precisionOption.apply()
        do { try evaluate() } catch let error as EvalError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }

    func evaluate() throws {
        let url = { (p: String) in URL(fileURLWithPath: p) }
        let t0 = Date()
        let gt = try DatasetLoader.load(url(annotations), format: format.flatMap(DatasetFormat.init(rawValue:)),
                                        images: images.map(url), names: names.map(url))
        let dets: [ResultDetection]
        if let detections {
            let aligned = try COCOResults.read(url(detections)).aligned(to: gt)
            if !aligned.unmappedClasses.isEmpty {
                note("\(aligned.droppedDetections) detections of classes not in the dataset left out: "
                     + aligned.unmappedClasses.joined(separator: ", "))
            }
            dets = aligned.detections
        } else {
            guard let images else { throw EvalError.invalidOption("--model needs --images DIR") }
            let detector = try EvalRunner.detector(model: model!, scoreThreshold: conf, maxDetections: maxDets)
            let run = try EvalRunner(detector: detector, maxPerImage: maxDets).run(groundTruth: gt, imagesDirectory: url(images))
            if !run.mapping.unmappedTarget.isEmpty {
                note("dataset classes the model does not know (AP 0): " + run.mapping.unmappedTarget.joined(separator: ", "))
            }
            if !run.mapping.unmappedSource.isEmpty {
                note("\(run.mapping.unmappedSource.count) model classes not in the dataset are left out")
            }
            note(String(format: "detected %d objects on %d images in %.1f s", run.detections.count, gt.images.count, run.seconds))
            dets = run.detections
        }
        if let saveResults { try COCOResultsWriter.write(dets, to: url(saveResults)) }
        let t1 = Date()

        let report: EvalReport
        let curves: [PRCurve]
        switch evalProtocol {
        case .coco:
            var params = COCOEvalParams(maxDets: maxDets)
            params.ignoreDifficult = !keepDifficult
            let e = try COCOEvaluator(params: params).evaluate(groundTruth: gt, detections: dets)
            report = EvalReport(e)
            curves = plot == nil ? [] : PRCurve.curves(e)
        case .voc07, .voc:
            let e = try VOCEvaluator(metric: evalProtocol == .voc07 ? .voc07 : .allPoint, ignoreDifficult: !keepDifficult)
                .evaluate(groundTruth: gt, detections: dets)
            report = EvalReport(e)
            curves = plot == nil ? [] : PRCurve.curves(e)
        }
        if timing {
            note(String(format: "timing: read %.3f s, evaluate %.3f s", t1.timeIntervalSince(t0), Date().timeIntervalSince(t1)))
        }
        if let model { print("Detections by \(model), precision \(ComputePrecision.default.rawValue)") }
        print("Evaluated \(report.imageCount) images, \(gt.annotations.count) ground-truth boxes, \(dets.count) detections (protocol \(report.protocolName))")
        print(report.summaryText)
        print("")
        print(report.classTable)
        if let outputJson {
            do {
                var data = try report.jsonData()
                if model != nil, var obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    obj["precision"] = ComputePrecision.default.rawValue  // the detector run's convolution arithmetic
                    data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .prettyPrinted])
                }
                try data.write(to: url(outputJson))
            } catch {
                throw EvalError.unreadable(file: outputJson, reason: "cannot write: \(OutputFolder.describe(error))")
            }
        }
        if let plot { try PRCurvePlot.write(curves, title: "PR curves (\(report.protocolName))", to: url(plot)) }
    }

    func note(_ s: String) { FileHandle.standardError.write(Data("note: \(s)\n".utf8)) }
}
