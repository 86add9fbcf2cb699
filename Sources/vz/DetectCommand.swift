import ArgumentParser
import Foundation
import ZooDetect
import ZooEval
import ZooImage
import ZooModels
import ZooPipelines
import ZooTensor

/// `vz detect`: object detection on image files and folders.
struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect objects in images (JPEG, PNG, WebP, BMP; files, folders walked recursively, globs, - for stdin, http(s) URLs).",
        discussion: """
        Prints one result per image on stdout (default JSON lines: {"image", "width",
        "height", "model", "timings_ms": {...}, "precision", "detections": [{"label",
        "class_id", "score", "box": [x1, y1, x2, y2]}]}, boxes in pixels of the
        original image; with --save also "saved": the annotated copy's path). Progress
        goes to stderr (a bar on a terminal, a line every 5 s otherwise), then a
        "Speed:" line with the mean per-stage times per image (after one untimed
        warm-up pass at the input shape, so the first image is not an outlier);
        unreadable or undecodable files are reported on stderr and skipped.

        Labels are COCO's category names for COCO models (yolov3-tiny's darknet
        spellings motorbike, aeroplane, sofa, tvmonitor, diningtable, pottedplant
        print as motorcycle, airplane, couch, tv, dining table, potted plant); one
        label per box unless --multi-label.

        EXAMPLES
          vz detect samples/dog.jpg
          vz detect photos/ --classes person,car --conf 0.4 --save out
          vz detect photos/ --format csv > detections.csv
          vz detect val/images --save-txt labels --save-conf --save-crop crops \\
            --save-json results.json
          vz detect 'shots/**/*.webp' http://127.0.0.1:8000/cam.jpg
          cat frame.bmp | vz detect - --save out
          vz detect shots/ --model faster-rcnn-resnet50-fpn --weights mine.pth \
            --names classes.txt

        INPUTS
          Files named on the command line are read whatever their extension (JPEG,
          PNG, WebP and BMP are recognised from their bytes); folders are walked
          recursively for .jpg/.jpeg/.jpe/.jfif/.png/.webp/.bmp files (symlinked files
          followed, symlinked folders not entered) and the other files are listed on
          stderr as skipped. A folder with no images is an error ("no images found in
          DIR"). Quoted glob patterns are expanded ('photos/*.jpg', 'data/**/*.png':
          ** is any depth); a pattern matching nothing is an error. `-` reads one
          image from stdin (`curl -s URL | vz detect -`); http:// and https:// URLs
          are fetched (at most 200 MiB, 30 s each). FIFOs and devices are refused,
          never read.

        --save DIR
          Annotated copies mirror the inputs under DIR: a folder keeps its name and
          its tree, a file goes to the top level (`vz detect b/imgs c/imgs x/p.jpg
          --save out` writes out/imgs/..., out/imgs-2/... and out/p.jpg); two inputs
          that would get the same name get -2, -3, ... suffixes. Formats other than
          .png/.jpg/.jpeg are written as .png. Nothing is ever written onto an input
          image (checked by inode before anything runs: `vz detect a --save .` is
          refused) nor outside DIR; DIR may be a subfolder of an input folder (it is
          skipped when walking), not an input folder itself. The last stderr line says
          where the copies went.

        EXIT CODES
          0   every image was processed
          1   some inputs could not be read, decoded or saved, or a folder held no
              images (the others were processed)
          2   nothing could run: unknown model, missing weights (see `vz weights
              pull`), bad --size/--classes, a --save folder that would overwrite
              inputs
          64  invalid command line (e.g. an option out of its range)
        """)

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @Option(help: "Model name (see `vz models`).")
    var model = ModelZoo.defaultDetector

    @Option(help: "Weights file to use instead of the model's own (single-file models, e.g. a torchvision .pth state_dict).")
    var weights: String?

    @Option(help: "Class names file, one per line in label order, for weights trained on other classes (a fine-tuned torchvision checkpoint: its labels 1...K-1, background not listed; DETR: labels 0...N-1, \"no object\" not listed; other models: as many names as classes).")
    var names: String?

    @Option(help: "Confidence threshold, \(OptionRanges.text(DetectorLimits.threshold)): keep boxes whose score exceeds it.")
    var conf: Float = 0.25

    @Option(help: "NMS IoU threshold, \(OptionRanges.text(DetectorLimits.threshold)).")
    var iou: Float = 0.45

    @Option(help: "Square input size, \(OptionRanges.text(DetectorLimits.size)) and a multiple of 32 (default: the model's).")
    var size: Int?

    @Option(help: "Comma-separated classes to keep: COCO names (case-insensitive; darknet spellings such as motorbike also accepted) or class ids, e.g. person,car or 0,2. An unknown name lists the valid ones.")
    var classes: String?

    @Option(name: .customLong("max-det"), help: "Maximum detections per image, \(OptionRanges.text(DetectorLimits.maxDetections)).")
    var maxDet = 300

    @Flag(help: "Class-agnostic NMS (boxes of different classes suppress each other).")
    var agnostic = false

    @Flag(name: .customLong("multi-label"), help: "Let every class above --conf label a box (darknet's and NanoDet's own decoding, for parity runs) instead of one label per box.")
    var multiLabel = false

    @Flag(name: .customLong("no-letterbox"), help: "Stretch images to the input size (as OpenCV blobFromImage) instead of letterboxing.")
    var noLetterbox = false

    @OptionGroup var precisionOption: PrecisionOption

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?

    @Option(help: "Write annotated images (boxes, labels, scores) into this folder, mirroring the inputs (see --save DIR below).")
    var save: String?

    @Option(name: .customLong("save-txt"), help: "Write YOLO-format label files into this folder, one per image named like --save's copies (class cx cy w h, normalised to 0...1; an empty file for an image with no detections).")
    var saveTxt: String?

    @Flag(name: .customLong("save-conf"), help: "With --save-txt: append each detection's score to its line.")
    var saveConf = false

    @Option(name: .customLong("save-crop"), help: "Write each detection's box as an image into this folder: FOLDER/<label>/<image stem>.<ext> (-2, -3, … for further boxes).")
    var saveCrop: String?

    @Option(name: .customLong("save-json"), help: "Write the run's detections as a COCO results file (with 'images' and 'categories', so `vz eval --detections FILE` scores it against annotations of the same images).")
    var saveJSON: String?

    @Option(help: "Output format: jsonl (one JSON object per image), csv (RFC 4180 quoting) or tsv (tabs, \\t \\n \\\\ escapes); csv/tsv print a header and one row per detection, and a row with empty detection fields for an image with none.")
    var format: OutputFormat = .jsonl

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case jsonl, csv, tsv }

    func validate() throws {
        try OptionRanges.check(conf, DetectorLimits.threshold, "conf")
        try OptionRanges.check(iou, DetectorLimits.threshold, "iou")
        try OptionRanges.check(size, DetectorLimits.size, "size")
        try OptionRanges.check(maxDet, DetectorLimits.maxDetections, "max-det")
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        precisionOption.apply()
        let skipping = Set([save, saveTxt, saveCrop].compactMap { $0 }.map(OutputFolder.canonical))
        let inputs = ImageInputs(paths, skipping: skipping)
        var output: OutputFolder?, labels: OutputFolder?, crops: OutputFolder?
        let stems = OutputFolder.stems(for: inputs)
        do {
            if let save {
                output = try OutputFolder(save, inputRoots: inputs.roots, inputs: inputs.fileIDs, option: "--save")
                for (item, stem) in zip(inputs.items, stems) {   // refuse before anything runs
                    try output!.check(stem + "." + OutputFolder.outputExtension(of: item.fileName))
                }
            }
            if let saveTxt {
                labels = try OutputFolder(saveTxt, inputRoots: inputs.roots, inputs: inputs.fileIDs, option: "--save-txt")
                for stem in stems { try labels!.check(stem + ".txt") }
            }
            if let saveCrop {
                crops = try OutputFolder(saveCrop, inputRoots: inputs.roots, inputs: inputs.fileIDs, option: "--save-crop")
            }
            if let saveJSON, let id = FileID(path: saveJSON), let input = inputs.fileIDs[id] {
                throw SaveError(description: "--save-json \(saveJSON) would overwrite the input image \(input)")
            }
        } catch {
            Stderr.print("vz detect: \(OutputFolder.describe(error)); nothing written (annotated copies mirror the inputs "
                         + "under the --save folder: choose one that does not hold them, e.g. --save out)")
            throw CLIExit.failed
        }
        let options = DetectorOptions(
            confidence: conf, iou: iou, maxDetections: maxDet, agnostic: agnostic,
            classes: classes.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } },
            size: size, resize: noLetterbox ? .stretch : nil, multiLabel: multiLabel)
        let detector: Detector
        do {
            let classNames = try names.map { try ClassNamesFile.read(URL(fileURLWithPath: $0)) }
            detector = try Detector.load(model, options: options, weightsFile: weights.map { URL(fileURLWithPath: $0) }, classNames: classNames)
        } catch {
            Stderr.print("vz detect: \(CLIExit.describe(error))")
            throw CLIExit.failed
        }
        var failed = inputs.problems.count
        for m in inputs.problems { Stderr.print("vz detect: \(m)") }
        if let line = inputs.skippedLine() { Stderr.print("vz detect: " + line) }
        let progress = ProgressReporter(total: inputs.items.count, label: "vz detect")
        switch format {
        case .csv: print(DetectorResult.header(.csv))
        case .tsv: print(DetectorResult.header(.tsv))
        case .jsonl: break
        }
        // One untimed pass at the input shape first, so the first image's timings are like the others' (buffers
        // planned, weights paged in): the closing summary's per-image means exclude nothing else.
        if !inputs.items.isEmpty { try? detector.warmUp() }
        var speed = SpeedSummary()
        var resultImages: [EvalImage] = [], resultDetections: [ResultDetection] = []
        for (i, item) in inputs.items.enumerated() {
            progress.update(done: i, current: (item.path as NSString).lastPathComponent)
            let image: Image, result: DetectorResult
            do {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let data = try inputs.read(item, maxBytes: detector.decodeOptions.maxFileBytes)
                image = try ImageDecoder.decode(data, name: item.path, options: detector.decodeOptions)
                let decodeMs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                var r = try detector.detect(image, name: item.path)
                r.timings.decode = decodeMs
                result = r
            } catch {
                progress.clear()
                Stderr.print("vz detect: skipped \(item.path): \(OutputFolder.describe(error))")
                failed += 1
                continue
            }
            var saved: String?, saveErrors: [String] = []
            if let output {
                do {
                    let rel = output.claim(stems[i] + "." + OutputFolder.outputExtension(of: item.fileName))
                    saved = try output.write(annotated(image, result: result), to: rel)
                } catch { saveErrors.append("annotated copy not saved: " + OutputFolder.describe(error)) }
            }
            if let labels {
                do { try labels.write(yoloLabels(result, width: image.width, height: image.height), to: labels.claim(stems[i] + ".txt")) }
                catch { saveErrors.append("label file not saved: " + OutputFolder.describe(error)) }
            }
            if let crops {
                let ext = OutputFolder.outputExtension(of: item.fileName)
                for d in result.detections {
                    guard let crop = Self.crop(image, d.box) else { continue }
                    let label = (d.label ?? String(d.classID)).replacingOccurrences(of: "/", with: "_")
                    do { try crops.write(crop, to: crops.claim(label + "/" + stems[i] + "." + ext)) }
                    catch { saveErrors.append("crop not saved: " + OutputFolder.describe(error)); break }
                }
            }
            if saveJSON != nil {
                let imageID = resultImages.count + 1
                resultImages.append(EvalImage(id: imageID, fileName: item.path, width: image.width, height: image.height))
                for d in result.detections {
                    resultDetections.append(ResultDetection(imageID: imageID, categoryID: d.classID, x: Double(d.box.x1), y: Double(d.box.y1),
                                                            width: Double(d.box.x2 - d.box.x1), height: Double(d.box.y2 - d.box.y1),
                                                            score: Double(d.score)))
                }
            }
            progress.clear()
            switch format {
            case .jsonl:
                var line = result.jsonLine
                if let saved { line = String(line.dropLast()) + ", \"saved\": \(jsonString(saved))}" }
                print(line)
            case .csv: for r in result.rows(.csv) { print(r) }
            case .tsv: for r in result.rows(.tsv) { print(r) }
            }
            speed.add(result.timings)
            fflush(stdout)
            for e in saveErrors { Stderr.print("vz detect: \(item.path): \(e)") }
            if !saveErrors.isEmpty { failed += 1 }
        }
        progress.finish(total: inputs.items.count)
        if let line = speed.line(shape: detector.preprocess.shape) { Stderr.print("vz detect: " + line) }
        if let output {
            Stderr.print("vz detect: wrote \(output.written) annotated image\(output.written == 1 ? "" : "s") under \(output.display)"
                         + (output.display == output.real ? "" : " (\(output.real))"))
        }
        if let labels { Stderr.print("vz detect: wrote \(labels.written) label file\(labels.written == 1 ? "" : "s") under \(labels.display)") }
        if let crops { Stderr.print("vz detect: wrote \(crops.written) crop\(crops.written == 1 ? "" : "s") under \(crops.display)") }
        if let saveJSON {
            let categories = detector.classes.names.enumerated().map { EvalCategory(id: $0.offset, name: $0.element) }
            do {
                try COCOResultsWriter.write(resultDetections, to: URL(fileURLWithPath: saveJSON), images: resultImages, categories: categories)
                Stderr.print("vz detect: wrote \(resultDetections.count) detection\(resultDetections.count == 1 ? "" : "s") of \(resultImages.count) image\(resultImages.count == 1 ? "" : "s") to \(saveJSON)")
            } catch {
                Stderr.print("vz detect: --save-json \(saveJSON): \(CLIExit.describe(error))")
                failed += 1
            }
        }
        if failed > 0 {
            Stderr.print("vz detect: \(failed) problem\(failed == 1 ? "" : "s") among \(paths.count) input path\(paths.count == 1 ? "" : "s") "
                         + "(\(inputs.items.count) image\(inputs.items.count == 1 ? "" : "s") found)")
            throw CLIExit.partial
        }
    }

    /// YOLO label lines: `class cx cy w h [score]`, coordinates normalised by the image size (`%g`, as Ultralytics).
    func yoloLabels(_ result: DetectorResult, width: Int, height: Int) -> Data {
        let w = Double(width), h = Double(height)
        var text = ""
        for d in result.detections {
            let b = d.box
            var fields = [Double((b.x1 + b.x2) / 2) / w, Double((b.y1 + b.y2) / 2) / h, Double(b.x2 - b.x1) / w, Double(b.y2 - b.y1) / h]
                .map { String(format: "%g", $0) }
            if saveConf { fields.append(String(format: "%g", Double(d.score))) }
            text += "\(d.classID) " + fields.joined(separator: " ") + "\n"
        }
        return Data(text.utf8)
    }

    /// The pixels inside `box` (rounded outwards, clipped to the image), or nil when nothing is left.
    static func crop(_ image: Image, _ box: Box) -> Image? {
        let x1 = max(0, Int(box.x1.rounded(.down))), y1 = max(0, Int(box.y1.rounded(.down)))
        let x2 = min(image.width, Int(box.x2.rounded(.up))), y2 = min(image.height, Int(box.y2.rounded(.up)))
        guard x2 > x1, y2 > y1 else { return nil }
        return image.cropped(x: x1, y: y1, width: x2 - x1, height: y2 - y1)
    }

    /// A copy of `image` with boxes and "label score" tags drawn.
    func annotated(_ image: Image, result: DetectorResult) -> Image {
        var image = image
        let thickness = max(2, min(image.width, image.height) / 300)
        let scale = max(1, min(image.width, image.height) / 400)
        for d in result.detections.reversed() {   // highest score drawn last, on top
            let color = ColorPalette.color(forClass: d.classID)
            let b = d.box
            image.drawBox(x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2, color: color, thickness: thickness)
            let luminance = 0.299 * Float(color.0) + 0.587 * Float(color.1) + 0.114 * Float(color.2)
            let text: (UInt8, UInt8, UInt8) = luminance > 140 ? (0, 0, 0) : (255, 255, 255)
            let labelHeight = 7 * scale + 2 * scale
            image.drawLabel("\(d.label ?? String(d.classID)) \(String(format: "%.2f", d.score))",
                            x: Int(b.x1.rounded()), y: Int(b.y1.rounded()) - labelHeight, color: text,
                            background: color, scale: scale)
        }
        return image
    }
}

/// Per-stage mean times per image, printed at the end of `vz detect` as Ultralytics does ("Speed: …").
struct SpeedSummary {
    private var sum = DetectorResult.Timings()
    private var count = 0
    mutating func add(_ t: DetectorResult.Timings) {
        sum.decode += t.decode; sum.preprocess += t.preprocess; sum.inference += t.inference; sum.postprocess += t.postprocess
        count += 1
    }
    /// `Speed: 1.2 ms decode, 3.4 ms preprocess, 80.1 ms inference, 0.5 ms postprocess per image at shape (1, 3, 416, 416) (N images, after one warm-up pass)`.
    func line(shape: [Int]) -> String? {
        guard count > 0 else { return nil }
        let n = Double(count)
        func f(_ v: Double) -> String { String(format: "%.1f", v / n) }
        return "Speed: \(f(sum.decode)) ms decode, \(f(sum.preprocess)) ms preprocess, \(f(sum.inference)) ms inference, "
            + "\(f(sum.postprocess)) ms postprocess per image at shape (\(shape.map(String.init).joined(separator: ", "))) "
            + "(\(count) image\(count == 1 ? "" : "s"), after one untimed warm-up pass)"
    }
}

/// Writing to standard error.
enum Stderr {
    static func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
    static func print(_ s: String) { write(s + "\n") }
}
