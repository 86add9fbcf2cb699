import ArgumentParser
import Foundation
import ZooTensor
import ZooEval
import ZooPipelines
import ZooTensor

/// `vz eval`: COCO-exact (pycocotools) or Pascal VOC mAP of a detector or a results file on an annotated dataset.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate detections against annotations: pycocotools-exact COCO mAP or Pascal VOC AP.",
        discussion: """
        Ground truth: a COCO instances .json, a folder of Pascal VOC .xml files, or a
        folder of YOLO .txt labels (with a *.names/classes.txt file beside it or
        --names, and --images for the image sizes).
        Detections: a COCO results file (--detections; a list, or an object with
        'annotations' and optionally 'images'/'categories' to match by file name and
        class name), or a model run over --images (--model).
        Class names are matched by name, including VOC ↔ COCO aliases (aeroplane =
        airplane, sofa = couch, …).

        Besides the AP table, every run prints the operating point `yolo val` reports:
        precision, recall and F1 per class and for "all" at the confidence that
        maximises the mean F1 (Ultralytics' matching and curves at IoU 0.5);
        --output-json carries it as "operating_point". --confusion-matrix writes yolo
        val's detection confusion matrix (PNG + JSON).

        EXAMPLES
          vz eval --annotations instances_val.json --detections results.json
          vz eval --annotations voc/Annotations --images voc/JPEGImages \\
            --model yolox-nano --confusion-matrix cm.png
          vz eval --annotations labels/ --images images/ --model yolov3-tiny \\
            --protocol voc --plot pr.png
          vz eval --task segmentation --annotations voc/SegmentationClass \\
            --predictions out/masks

        EXIT CODES
          0   evaluated
          2   nothing could be evaluated: unreadable or malformed annotations/results,
              unknown model, missing weights
          64  invalid command line
        """)

    enum EvalProtocol: String, ExpressibleByArgument, CaseIterable { case coco, voc07, voc }

    enum Task: String, ExpressibleByArgument, CaseIterable { case detection, segmentation }

    @Option(help: "detection (boxes: COCO/VOC AP) or segmentation (label-map PNG folders: pixel accuracy, mean accuracy, mean IoU, frequency-weighted IoU).")
    var task: Task = .detection

    @Option(help: "Ground truth: COCO .json file, VOC .xml folder or YOLO .txt folder; with --task segmentation a folder of label-map PNGs (gray or palette, one class index per pixel).")
    var annotations: String

    @Option(help: "With --task segmentation: the folder of predicted label-map PNGs, paired with the ground truth by file stem.")
    var predictions: String?

    @Option(name: .customLong("num-classes"), help: "With --task segmentation: classes 0..N-1 (default: the largest ground-truth label + 1).")
    var numClasses: Int?

    @Option(name: .customLong("ignore-index"), help: "With --task segmentation: the ground-truth label left out (default 255, VOC's border; -1 for none).")
    var ignoreIndex: Int = 255

    @Option(name: [.customLong("annotations-format"), .customLong("format")],
            help: "Annotation format (default: detected from the path): coco, yolo, voc. (--format is the old name.)")
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

    @Option(name: [.customLong("max-det"), .customLong("max-dets")],
            help: "Maximum detections per image, 1...\(DetectorLimits.maxDetections.upperBound) (pycocotools' largest maxDets; --max-dets is the old name).")
    var maxDets: Int = 100

    @Option(help: "Score threshold for --model, \(OptionRanges.text(DetectorLimits.threshold)).")
    var conf: Float = 0.001

    @Option(help: "NMS IoU threshold for --model, \(OptionRanges.text(DetectorLimits.threshold)) (the model's default: 0.45).")
    var iou: Float?

    @Option(help: "Square input size for --model, \(OptionRanges.text(DetectorLimits.size)) and a multiple of the model's stride (default: the model's).")
    var size: Int?

    @Flag(name: .customLong("no-letterbox"), help: "For --model: stretch images to the input size instead of letterboxing.")
    var noLetterbox = false

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?

    @Flag(help: "Count VOC 'difficult' boxes like any other (default: ignored, as VOC does).")
    var keepDifficult = false

    @OptionGroup var precisionOption: PrecisionOption

    @Flag(help: "Print the time spent reading the annotations, detecting (--model) or reading the results, and evaluating, to stderr.")
    var timing = false

    @Option(help: "Write the numbers as JSON here.")
    var outputJson: String?

    @Option(help: "Write the evaluated detections as a COCO results file here: pycocotools' plain list for COCO ground truth; for VOC/YOLO ground truth an object that also carries 'images' and 'categories', so `vz eval --detections` scores it identically against any annotations of the same images.")
    var saveResults: String?

    @Option(help: "Write precision/recall curves here as PNG and SVG (FILE.png and FILE.svg): all classes and the 10 with most boxes.")
    var plot: String?

    @Option(name: .customLong("confusion-matrix"), help: "Write the detection confusion matrix here as PNG, and its counts as JSON beside it (FILE.json); yolo val's rules: conf > 0.25, IoU > 0.45, any classes.")
    var confusionMatrix: String?

    func validate() throws {
        if task == .segmentation {
            guard predictions != nil else { throw ValidationError("--task segmentation needs --predictions DIR (and --annotations DIR)") }
            guard model == nil, detections == nil else { throw ValidationError("--model and --detections are for --task detection") }
            if let numClasses { try OptionRanges.check(numClasses, 1...256, "num-classes") }
            try OptionRanges.check(ignoreIndex, -1...255, "ignore-index")
            return
        }
        if predictions != nil { throw ValidationError("--predictions is for --task segmentation (detections: --detections FILE)") }
        if (model == nil) == (detections == nil) { throw ValidationError("give exactly one of --model NAME or --detections FILE") }
        try OptionRanges.check(maxDets, 1...DetectorLimits.maxDetections.upperBound, "max-det")
        try OptionRanges.check(conf, DetectorLimits.threshold, "conf")
        try OptionRanges.check(iou, DetectorLimits.threshold, "iou")
        try OptionRanges.check(size, DetectorLimits.size, "size")
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
        if model == nil, iou != nil || size != nil || noLetterbox {
            throw ValidationError("--iou, --size and --no-letterbox apply to --model runs only")
        }
        if let format, DatasetFormat(rawValue: format) == nil { throw ValidationError("--annotations-format must be coco, yolo or voc") }
    }

    func run() throws {
        precisionOption.apply()
        // Exit 2 as every command does when nothing could run (a bad dataset, results file or model).
        do { try task == .segmentation ? evaluateSegmentation() : evaluate() } catch let error as EvalError {
            FileHandle.standardError.write(Data("vz eval: \(error.description)\n".utf8))
            throw CLIExit.failed
        }
    }

    func evaluate() throws {
        let url = { (p: String) in URL(fileURLWithPath: p) }
        if let threads { Threads.set(threads) }
        let t0 = Date()
        let datasetFormat = try format.flatMap(DatasetFormat.init(rawValue:)) ?? DatasetFormat.detect(url(annotations))
        let gt = try DatasetLoader.load(url(annotations), format: datasetFormat, images: images.map(url), names: names.map(url))
        let tRead = Date()
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
            var options = DetectorOptions()
            if let iou { options.iou = iou }
            options.size = size
            if noLetterbox { options.resize = .stretch }
            let detector: EvalRunner.Detector
            do {
                detector = try EvalRunner.detector(model: model!, scoreThreshold: conf, maxDetections: maxDets, options: options)
            } catch let e as EvalError { throw e } catch {
                throw EvalError.invalidOption("--model \(model!): \(CLIExit.describe(error))")
            }
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
        if let saveResults {
            if datasetFormat == .coco {
                try COCOResultsWriter.write(dets, to: url(saveResults))
            } else {
                try COCOResultsWriter.write(dets, to: url(saveResults), images: gt.images, categories: gt.categories)
            }
        }
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
            note(String(format: "timing: read annotations %.3f s, %@ %.3f s, evaluate %.3f s", tRead.timeIntervalSince(t0),
                        model == nil ? "read results" : "detect", t1.timeIntervalSince(tRead), Date().timeIntervalSince(t1)))
        }
        if let model { print("Detections by \(model), precision \(ComputePrecision.default.rawValue)") }
        print("Evaluated \(report.imageCount) images, \(gt.annotations.count) ground-truth boxes, \(dets.count) detections (protocol \(report.protocolName))")
        print(report.summaryText)
        print("")
        print(report.classTable)
        let operating = OperatingPoint(groundTruth: gt, detections: dets)
        print("")
        print(operating.table)
        if let confusionMatrix {
            let matrix = ConfusionMatrix(groundTruth: gt, detections: dets)
            try matrix.write(png: url(confusionMatrix))
            note("confusion matrix written to \(confusionMatrix) (counts in \(url(confusionMatrix).deletingPathExtension().lastPathComponent).json)")
        }
        if let outputJson {
            do {
                var data = try report.jsonData()
                if var obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    if model != nil { obj["precision"] = ComputePrecision.default.rawValue }  // the detector run's convolution arithmetic
                    obj["operating_point"] = operating.jsonObject
                    data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .prettyPrinted])
                }
                try data.write(to: url(outputJson))
            } catch {
                throw EvalError.unreadable(file: outputJson, reason: "cannot write: \(OutputFolder.describe(error))")
            }
        }
        if let plot {
            try PRCurvePlot.write(curves, title: "PR curves (\(report.protocolName))", to: url(plot))
            note("PR curves written to \(plot) and its .svg twin")
        }
    }

    func evaluateSegmentation() throws {
        let evaluator = SegmentationEvaluator(classCount: numClasses, ignoreIndex: ignoreIndex < 0 ? nil : ignoreIndex)
        let r = try evaluator.evaluate(predictions: URL(fileURLWithPath: predictions!), truth: URL(fileURLWithPath: annotations))
        print(r.text)
        if let outputJson {
            do {
                try JSONSerialization.data(withJSONObject: r.jsonObject, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: outputJson))
            } catch {
                throw EvalError.unreadable(file: outputJson, reason: "cannot write: \(OutputFolder.describe(error))")
            }
        }
    }

    func note(_ s: String) { FileHandle.standardError.write(Data("note: \(s)\n".utf8)) }
}
