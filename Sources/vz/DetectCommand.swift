import ArgumentParser
import Foundation
import ZooDetect
import ZooImage
import ZooModels
import ZooPipelines
import ZooTensor

/// `vz detect`: object detection on image files and folders.
struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect objects in images (JPEG/PNG files; folders are walked recursively).",
        discussion: """
        Prints one result per image on stdout (default JSON lines: {"image", "width", "height", "model", \
        "timings_ms": {...}, "precision", "detections": [{"label", "class_id", "score", "box": [x1, y1, x2, y2]}]}, boxes in \
        pixels of the original image; with --save also "saved": the annotated copy's path). Progress goes to \
        stderr when stderr is a terminal; unreadable or undecodable files are reported on stderr and skipped.

        INPUTS
          Files named on the command line are read whatever their extension; folders are walked recursively for \
          .jpg/.jpeg/.jpe/.jfif/.png files (symlinked files followed, symlinked folders not entered). A folder \
          with no images is an error ("no images found in DIR"). FIFOs and devices are refused, never read.

        --save DIR
          Annotated copies mirror the inputs under DIR: a folder keeps its name and its tree, a file goes to the \
          top level (`vz detect b/imgs c/imgs x/p.jpg --save out` writes out/imgs/..., out/imgs-2/... and \
          out/p.jpg); two inputs that would get the same name get -2, -3, ... suffixes. Formats other than \
          .png/.jpg/.jpeg are written as .png. Nothing is ever written onto an input image (checked by inode \
          before anything runs: `vz detect a --save .` is refused) nor outside DIR; DIR may be a subfolder of an \
          input folder (it is skipped when walking), not an input folder itself. The last stderr line says where \
          the copies went.

        EXIT CODES
          0   every image was processed
          1   some inputs could not be read, decoded or saved, or a folder held no images (the others were processed)
          2   nothing could run: unknown model, missing weights (see `vz weights pull`), bad --size/--classes, \
              a --save folder that would overwrite inputs
          64  invalid command line (e.g. an option out of its range)
        """)

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @Option(help: "Model name (see `vz models`).")
    var model = ModelZoo.defaultDetector

    @Option(help: "Confidence threshold, \(OptionRanges.text(DetectorLimits.threshold)): keep boxes whose score exceeds it.")
    var conf: Float = 0.25

    @Option(help: "NMS IoU threshold, \(OptionRanges.text(DetectorLimits.threshold)).")
    var iou: Float = 0.45

    @Option(help: "Square input size, \(OptionRanges.text(DetectorLimits.size)) and a multiple of 32 (default: the model's).")
    var size: Int?

    @Option(help: "Comma-separated class names to keep, e.g. person,car.")
    var classes: String?

    @Option(name: .customLong("max-det"), help: "Maximum detections per image, \(OptionRanges.text(DetectorLimits.maxDetections)).")
    var maxDet = 300

    @Flag(help: "Class-agnostic NMS (boxes of different classes suppress each other).")
    var agnostic = false

    @Flag(name: .customLong("no-letterbox"), help: "Stretch images to the input size (as OpenCV blobFromImage) instead of letterboxing.")
    var noLetterbox = false

    @OptionGroup var precisionOption: PrecisionOption

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?

    @Option(help: "Write annotated images (boxes, labels, scores) into this folder, mirroring the inputs (see --save DIR below).")
    var save: String?

    @Option(help: "Output format: jsonl, txt or csv.")
    var format: OutputFormat = .jsonl

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case jsonl, txt, csv }

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
        let skipping = Set([save].compactMap { $0 }.map(OutputFolder.canonical))
        let inputs = ImageInputs(paths, skipping: skipping)
        var output: OutputFolder?, stems: [String] = []
        do {
            if let save {
                output = try OutputFolder(save, inputRoots: inputs.roots, inputs: inputs.fileIDs, option: "--save")
                stems = OutputFolder.stems(for: inputs)
                for (item, stem) in zip(inputs.items, stems) {   // refuse before anything runs
                    try output!.check(stem + "." + OutputFolder.outputExtension(of: item.path))
                }
            }
        } catch {
            Stderr.print("vz detect: \(OutputFolder.describe(error)); nothing written (annotated copies mirror the inputs "
                         + "under the --save folder: choose one that does not hold them, e.g. --save out)")
            throw ExitCode(2)
        }
        let options = DetectorOptions(
            confidence: conf, iou: iou, maxDetections: maxDet, agnostic: agnostic,
            classes: classes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } },
            size: size, resize: noLetterbox ? .stretch : nil)
        let detector: Detector
        do { detector = try Detector.load(model, options: options) } catch {
            Stderr.print("vz detect: \(error)")
            throw ExitCode(2)
        }
        var failed = inputs.problems.count
        for m in inputs.problems { Stderr.print("vz detect: \(m)") }
        let progress = Progress(total: inputs.items.count, enabled: isatty(2) != 0)
        if format == .csv { print(DetectorResult.csvHeader) }
        for (i, item) in inputs.items.enumerated() {
            progress.update(done: i, current: (item.path as NSString).lastPathComponent)
            let image: Image, result: DetectorResult
            do {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let data = try ImageDecoder.readFile(item.url, maxBytes: detector.decodeOptions.maxFileBytes)
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
            var saved: String?, saveError: String?
            if let output {
                do {
                    let rel = output.claim(stems[i] + "." + OutputFolder.outputExtension(of: item.path))
                    saved = try output.write(annotated(image, result: result), to: rel)
                } catch { saveError = OutputFolder.describe(error) }
            }
            progress.clear()
            switch format {
            case .jsonl:
                var line = result.jsonLine
                if let saved { line = String(line.dropLast()) + ", \"saved\": \(jsonString(saved))}" }
                print(line)
            case .txt: for l in result.textLines { print(l) }
            case .csv: for r in result.csvRows { print(r) }
            }
            fflush(stdout)
            if let saveError {
                Stderr.print("vz detect: \(item.path): annotated copy not saved: \(saveError)")
                failed += 1
            }
        }
        progress.finish(total: inputs.items.count)
        if let output {
            Stderr.print("vz detect: wrote \(output.written) annotated image\(output.written == 1 ? "" : "s") under \(output.display)"
                         + (output.display == output.real ? "" : " (\(output.real))"))
        }
        if failed > 0 {
            Stderr.print("vz detect: \(failed) problem\(failed == 1 ? "" : "s") among \(paths.count) input path\(paths.count == 1 ? "" : "s") "
                         + "(\(inputs.items.count) image\(inputs.items.count == 1 ? "" : "s") found)")
            throw ExitCode(1)
        }
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

/// A one-line progress bar with ETA on stderr (only when enabled, i.e. stderr is a terminal).
final class Progress {
    let total: Int, enabled: Bool
    let start = DispatchTime.now()
    init(total: Int, enabled: Bool) { self.total = total; self.enabled = enabled && total > 1 }

    func update(done: Int, current: String) {
        guard enabled else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let width = 24, filled = total > 0 ? width * done / total : 0
        var eta = "--:--"
        if done > 0 {
            let rest = Int(elapsed / Double(done) * Double(total - done))
            eta = String(format: "%d:%02d", rest / 60, rest % 60)
        }
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        Stderr.write("\r[\(bar)] \(done)/\(total) ETA \(eta) \(current.prefix(30))\u{1B}[K")
    }
    func clear() { if enabled { Stderr.write("\r\u{1B}[K") } }
    func finish(total: Int) {
        guard enabled else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        Stderr.write("\r\u{1B}[K\(total) images in \(String(format: "%.1f", elapsed)) s\n")
    }
}

/// Writing to standard error.
enum Stderr {
    static func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
    static func print(_ s: String) { write(s + "\n") }
}
