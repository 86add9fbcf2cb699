import ArgumentParser
import Foundation
import ZooImage
import ZooModels
import ZooPipelines
import ZooTensor

/// `vz faces IMAGE…`: faces with five landmarks as JSON; optional annotated images and aligned crops.
struct FacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faces",
        abstract: "Detect faces with five landmarks (JSON); optionally save annotated images and aligned crops.",
        discussion: """
        Output: one JSON line per image, {"image", "width", "height", "faces":
        [{"box": [x1,y1,x2,y2], "score", "landmarks": [[x,y] x5]}]}, plus "saved" (the
        annotated copy) and "crops" (the crop files) when written.
        Inputs are files and folders, walked as `vz detect` does (recursively,
        .jpg/.jpeg/.jpe/.jfif/.png; a folder without images is an error; FIFOs and
        devices are refused, never read).
        MTCNN keeps faces scoring >= 0.9 by default (--min-score): its cascade
        (thresholds 0.6/0.7/0.7, as facenet-pytorch) also passes non-faces at p ~
        0.87. Crops are aligned by a similarity transform of the five landmarks onto
        the ArcFace 112x112 template (--crop-template dlib for dlib's 150x150 chip).

        --save: with one input image and a .png/.jpg/.jpeg name, that file; otherwise
        a folder where annotated copies mirror the inputs exactly as `vz detect
        --save` (a folder keeps its name and tree, a file goes to the top level, same
        names get -2, -3, ... suffixes). --save-crops DIR: crops of image <stem> are
        DIR/<mirrored folders>/<stem>-face-<i>.png (i = 0, 1, ... by descending score;
        crops of an earlier run of the same image beyond the current count are
        removed). Nothing is ever written onto an input image or outside the given
        folder (refused before anything runs); the last stderr line says where files
        went.

        --embed: each face also gets "embedding", its L2-normalised embedding by
        --recognizer (aligned onto the recognizer's template as `vz verify` does),
        and the object gets "recognizer" and "recognizer_version" (embeddings of
        different recognizers or versions are not comparable).

        EXAMPLES
          vz faces group.jpg
          vz faces photos/ --save out --save-crops crops
          vz faces a.jpg --detector yunet --min-score 0.8
          vz faces lfw/ --save-crops aligned --crop-template dlib
          vz faces group.jpg --embed --recognizer sface

        EXIT CODES
          0   every image was processed
          1   some images could not be read, decoded or saved (named on stderr; the
              others were processed)
          2   nothing could run: unknown detector, missing weights, a
              --save/--save-crops target that is refused
          64  invalid command line
        """)

    @Argument(help: "Image files (JPEG, PNG, WebP, BMP), folders, quoted globs, - (stdin) or http(s) URLs.")
    var images: [String]

    @Option(help: "Face detector: \(FaceModelFactory.detectorNames.joined(separator: ", ")).")
    var detector = "mtcnn"

    @Option(help: "Weights folder for the detector (default: weights/<name> or VZ_WEIGHTS_PATH).")
    var weights: String?

    @Option(help: "Keep faces scoring at least this, \(OptionRanges.text(OptionRanges.score)) (MTCNN default 0.9).")
    var minScore: Float?

    @Option(help: "Annotated image (boxes and landmarks): a .png/.jpg file for one input, else a folder (see below).")
    var save: String?

    @Option(name: .customLong("save-crops"), help: "Write aligned face crops into this folder (<image-stem>-face-<i>.png).")
    var saveCrops: String?

    @Flag(help: "Add each face's L2-normalised embedding and the recognizer's name and version.")
    var embed = false

    @Option(help: "With --embed: recognizer, \(FaceModelFactory.recognizerNames.joined(separator: ", ")).")
    var recognizer = FaceModelFactory.defaultRecognizer

    @Option(help: "With --embed: recognizer weights (file or folder; default: weights/<name> or VZ_WEIGHTS_PATH).")
    var recognizerWeights: String?

    @Option(help: "Crop layout: arcface (112x112) or dlib (150x150).")
    var cropTemplate = "arcface"

    @OptionGroup var precisionOption: PrecisionOption

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?

    func validate() throws {
        try OptionRanges.check(minScore, OptionRanges.score, "min-score")
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
        guard cropTemplate == "dlib" || cropTemplate == "arcface" else {
            throw ValidationError("--crop-template must be arcface or dlib, got \(cropTemplate)")
        }
    }

    /// One output line: the report plus where its files went.
    struct Line: Encodable {
        var report: FaceFinder.Report
        var saved: String?
        var crops: [String]?
        enum Keys: String, CodingKey { case saved, crops }
        func encode(to encoder: Encoder) throws {
            try report.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encodeIfPresent(saved, forKey: .saved)
            try c.encodeIfPresent(crops, forKey: .crops)
        }
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        precisionOption.apply()
        let saveIsFile = save.map { s in
            var isDir: ObjCBool = false
            let ext = (s as NSString).pathExtension.lowercased()
            return ["png", "jpg", "jpeg"].contains(ext) && !(FileManager.default.fileExists(atPath: s, isDirectory: &isDir) && isDir.boolValue)
        } ?? false
        let skipping = Set([saveIsFile ? nil : save, saveCrops].compactMap { $0 }.map(OutputFolder.canonical))
        let inputs = ImageInputs(images, skipping: skipping)
        var annotatedFolder: OutputFolder?, cropFolder: OutputFolder?, stems: [String] = []
        do {
            if let save, saveIsFile {
                guard inputs.items.count <= 1, inputs.roots.allSatisfy({ !$0.isDirectory }) else {
                    throw SaveError(description: "--save \(save): a file name needs exactly one input image (give a folder for several)")
                }
                if let id = FileID(path: save), let input = inputs.fileIDs[id] {
                    throw SaveError(description: "--save \(save) would overwrite the input image \(input)")
                }
            } else if let save {
                annotatedFolder = try OutputFolder(save, inputRoots: inputs.roots, inputs: inputs.fileIDs, option: "--save")
            }
            if let saveCrops {
                let canonical = OutputFolder.canonical(saveCrops)
                if let a = annotatedFolder, a.real == canonical { cropFolder = a }   // one folder: one set of names
                else { cropFolder = try OutputFolder(saveCrops, inputRoots: inputs.roots, inputs: inputs.fileIDs, option: "--save-crops") }
            }
            stems = OutputFolder.stems(for: inputs)
            if let annotatedFolder {
                for (item, stem) in zip(inputs.items, stems) { try annotatedFolder.check(stem + "." + OutputFolder.outputExtension(of: item.path)) }
            }
            if let cropFolder { for stem in stems { try cropFolder.check(stem + "-face-0.png") } }
        } catch {
            Stderr.print("vz faces: \(OutputFolder.describe(error)); nothing written")
            throw CLIExit.failed
        }
        let finder: FaceFinder, isMTCNN: Bool
        var embedder: (any FaceEmbedder)?, recognizerID: RecognizerID?
        do {
            if embed {
                let url = recognizerWeights.map { URL(fileURLWithPath: $0) }
                embedder = try FaceModelFactory.embedder(recognizer, weights: url)
                recognizerID = FaceModelFactory.recognizerID(recognizer, weights: url)
            }
            let det = try FaceModelFactory.detector(detector, weights: weights.map { URL(fileURLWithPath: $0) })
            if let minScore, let m = det as? MTCNN { m.configuration.minScore = minScore }
            finder = FaceFinder(detector: det)
            isMTCNN = det is MTCNN
        } catch {
            Stderr.print("vz faces: \(CLIExit.describe(error))")
            throw CLIExit.failed
        }
        var failed = inputs.problems.count, savedFiles = 0, cropCount = 0
        for m in inputs.problems { Stderr.print("vz faces: \(m)") }
        if let line = inputs.skippedLine() { Stderr.print("vz faces: " + line) }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let progress = ProgressReporter(total: inputs.items.count, label: "vz faces")
        for (i, item) in inputs.items.enumerated() {
            progress.update(done: i, current: (item.path as NSString).lastPathComponent)
            do {
                let data = try inputs.read(item, maxBytes: DecodeOptions().maxFileBytes)
                var (report, img, dets) = try finder.find(data: data, name: item.path)
                if let minScore, !isMTCNN {
                    dets = dets.filter { $0.score >= minScore }
                    report.faces = report.faces.filter { $0.score >= minScore }
                }
                if let embedder, let recognizerID {
                    try FaceFinder.embed(&report, image: img, detections: dets, embedder: embedder, recognizer: recognizerID)
                }
                var line = Line(report: report)
                if let save, saveIsFile {
                    try ImageEncoder.write(FaceFinder.annotated(img, dets), to: URL(fileURLWithPath: save))
                    line.saved = save
                    savedFiles += 1
                } else if let annotatedFolder {
                    let rel = annotatedFolder.claim(stems[i] + "." + OutputFolder.outputExtension(of: item.path))
                    line.saved = try annotatedFolder.write(FaceFinder.annotated(img, dets), to: rel)
                }
                if let cropFolder {
                    let (template, size): ([Float], Int) = cropTemplate == "dlib" ? (FaceAligner.dlib150, 150) : (FaceAligner.arcface112, 112)
                    let crops = FaceFinder.crops(img, dets, template: template, width: size, height: size)
                    cropFolder.removeStaleCrops(stem: stems[i], keeping: crops.count)
                    cropCount += crops.count
                    line.crops = try crops.enumerated().map { k, c in
                        try cropFolder.write(c, to: cropFolder.claim("\(stems[i])-face-\(k).png"))
                    }
                }
                print(String(decoding: try enc.encode(line), as: UTF8.self))
                fflush(stdout)
            } catch {
                progress.clear()
                Stderr.print("vz faces: skipped \(item.path): \(OutputFolder.describe(error))")
                failed += 1
            }
        }
        progress.finish(total: inputs.items.count)
        var wrote: [String] = []
        if let save, saveIsFile, savedFiles > 0 { wrote.append("the annotated image \(save)") }
        if let f = annotatedFolder { wrote.append("\(f.written) annotated image\(f.written == 1 ? "" : "s") under \(f.display)") }
        if let f = cropFolder {
            wrote.append("\(cropCount) crop\(cropCount == 1 ? "" : "s") under \(f.display)")
        }
        if !wrote.isEmpty { Stderr.print("vz faces: wrote " + wrote.joined(separator: ", ")) }
        if failed > 0 { throw CLIExit.partial }
    }
}
