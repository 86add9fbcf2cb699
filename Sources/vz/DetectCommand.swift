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
        "timings_ms": {...}, "detections": [{"label", "class_id", "score", "box": [x1, y1, x2, y2]}]}, boxes in \
        pixels of the original image). Progress goes to stderr when stderr is a terminal; unreadable or \
        undecodable files are reported on stderr and skipped.

        EXIT CODES
          0   every image was processed
          1   some images could not be read or decoded (the others were processed)
          2   nothing could run: unknown model, missing weights (see `vz weights pull`), bad --size/--classes
          64  invalid command line
        """)

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @Option(help: "Model name (see `vz models`).")
    var model = ModelZoo.defaultDetector

    @Option(help: "Confidence threshold: keep boxes whose score exceeds it.")
    var conf: Float = 0.25

    @Option(help: "NMS IoU threshold.")
    var iou: Float = 0.45

    @Option(help: "Square input size (a multiple of 32; default: the model's).")
    var size: Int?

    @Option(help: "Comma-separated class names to keep, e.g. person,car.")
    var classes: String?

    @Option(name: .customLong("max-det"), help: "Maximum detections per image.")
    var maxDet = 300

    @Flag(help: "Class-agnostic NMS (boxes of different classes suppress each other).")
    var agnostic = false

    @Flag(name: .customLong("no-letterbox"), help: "Stretch images to the input size (as OpenCV blobFromImage) instead of letterboxing.")
    var noLetterbox = false

    @Option(help: "Threads (default: VZ_THREADS or all cores).")
    var threads: Int?

    @Option(help: "Write annotated images (boxes, labels, scores) into this folder.")
    var save: String?

    @Option(help: "Output format: jsonl, txt or csv.")
    var format: OutputFormat = .jsonl

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case jsonl, txt, csv }

    func validate() throws {
        guard conf >= 0, conf <= 1 else { throw ValidationError("--conf must be in [0, 1]") }
        guard iou >= 0, iou <= 1 else { throw ValidationError("--iou must be in [0, 1]") }
        guard maxDet >= 0 else { throw ValidationError("--max-det must be >= 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1") }
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        let options = DetectorOptions(
            confidence: conf, iou: iou, maxDetections: maxDet, agnostic: agnostic,
            classes: classes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } },
            size: size, resize: noLetterbox ? .stretch : nil)
        let detector: Detector
        do { detector = try Detector.load(model, options: options) } catch {
            Stderr.print("vz detect: \(error)")
            throw ExitCode(2)
        }
        let inputs = ImageWalker.collect(paths)
        var failed = inputs.missing.count
        for m in inputs.missing { Stderr.print("vz detect: \(m): no such file or directory") }
        let saveDir = save.map { URL(fileURLWithPath: $0) }
        if let saveDir { try? FileManager.default.createDirectory(at: saveDir, withIntermediateDirectories: true) }
        let progress = Progress(total: inputs.files.count, enabled: isatty(2) != 0)
        if format == .csv { print(DetectorResult.csvHeader) }
        for (i, item) in inputs.files.enumerated() {
            progress.update(done: i, current: item.url.lastPathComponent)
            do {
                let result = try detector.detect(contentsOf: item.url)
                progress.clear()
                switch format {
                case .jsonl: print(result.jsonLine)
                case .txt: for l in result.textLines { print(l) }
                case .csv: for r in result.csvRows { print(r) }
                }
                fflush(stdout)
                if let saveDir { try annotate(item, result: result, into: saveDir, decode: detector.decodeOptions) }
            } catch {
                progress.clear()
                Stderr.print("vz detect: skipped \(item.url.path): \(error)")
                failed += 1
            }
        }
        progress.finish(total: inputs.files.count)
        if failed > 0 {
            Stderr.print("vz detect: \(failed) of \(inputs.files.count + inputs.missing.count) inputs failed")
            throw ExitCode(1)
        }
    }

    /// Draws boxes and "label score" tags and writes the image under `dir` (mirroring folder structure).
    func annotate(_ item: ImageWalker.Item, result: DetectorResult, into dir: URL, decode: DecodeOptions) throws {
        var image = try ImageDecoder.decode(contentsOf: item.url, options: decode)
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
        var out = dir.appendingPathComponent(item.relative)
        let ext = out.pathExtension.lowercased()
        if ext != "png" && ext != "jpg" && ext != "jpeg" { out = out.deletingPathExtension().appendingPathExtension("png") }
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ImageEncoder.write(image, to: out)
    }
}

/// Expands command-line paths into image files: files as given, folders walked recursively (sorted) for
/// files with image extensions.
enum ImageWalker {
    struct Item { var url: URL; /// Path to use under `--save`.
        var relative: String }
    static let extensions: Set<String> = ["jpg", "jpeg", "png", "jpe", "jfif"]

    static func collect(_ paths: [String]) -> (files: [Item], missing: [String]) {
        var files: [Item] = [], missing: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else { missing.append(p); continue }
            let url = URL(fileURLWithPath: p)
            if !isDir.boolValue { files.append(Item(url: url, relative: url.lastPathComponent)); continue }
            var found: [Item] = []
            let base = url.standardizedFileURL.resolvingSymlinksInPath().path
            if let e = fm.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey]) {
                for case let f as URL in e where extensions.contains(f.pathExtension.lowercased()) {
                    let full = f.standardizedFileURL.resolvingSymlinksInPath().path
                    let rel = full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : f.lastPathComponent
                    found.append(Item(url: f, relative: url.lastPathComponent + "/" + rel))
                }
            }
            files += found.sorted { $0.url.path < $1.url.path }
        }
        return (files, missing)
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
