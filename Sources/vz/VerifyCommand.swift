import ArgumentParser
import Foundation
import ZooImage
import ZooModels
import ZooPipelines
import ZooTensor

/// `vz verify A B` / `vz verify --pairs pairs.csv`: same person or not, with a calibrated threshold.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Decide whether two face photos show the same person (cosine of embeddings vs a calibrated threshold).",
        discussion: """
        Output: {"same", "similarity", "threshold", "threshold_source", "detector",
        "recognizer", "faces": [{"image", "n_faces", "box", "score", "landmarks",
        "rotation"}], "timings_ms": {...}, "notes"}.
        Several faces in an image: the largest is used (--face-index N: the N-th
        largest, 0-based) and "notes" says so.
        No upright face: the image is also tried turned by 90, 270 and 180 degrees;
        the best-scoring orientation is used and reported in "rotation" (quarter turns
        counter-clockwise).
        --pairs: one JSON line per pair in input order, then a summary (accuracy, TAR
        at FAR 1e-2/1e-3 when labels are given) on stderr and in --output-json.
        --calibrate DIR: embeds every image of DIR/<identity>/*, scores all pairs
        (same folder = genuine, else impostor) and prints {"thresholds": [{"far",
        "threshold", "tar", "far_measured"}], ...} for FAR 1e-2, 1e-3, 1e-4 (and
        --far) as JSON; with --aligned the images are already aligned crops.

        EXAMPLES
          vz verify a.jpg b.jpg
          vz verify a.jpg b.jpg --recognizer dlib-resnet --detector mtcnn
          vz verify --pairs pairs.csv --output-json summary.json
          vz verify --calibrate lfw-dev/ --far 0.001

        EXIT CODES
          0   verified (both faces found), or every pair / calibration image processed
          1   some --pairs rows or --calibrate images failed (named on stderr; the
              others were processed)
          2   nothing could run: no face or an unreadable image (two-image form),
              unknown model, missing weights, an unreadable pairs file
          64  invalid command line
        """)

    @Argument(help: "Two images (omit with --pairs).")
    var images: [String] = []

    @Option(help: "Face detector: \(FaceModelFactory.detectorNames.joined(separator: ", ")).")
    var detector = FaceModelFactory.defaultDetector

    @Option(help: "Recognizer: \(FaceModelFactory.recognizerNames.joined(separator: ", ")).")
    var recognizer = FaceModelFactory.defaultRecognizer

    @Option(help: "Recognizer weights (file or folder; default: weights/<name> or VZ_WEIGHTS_PATH).")
    var weights: String?

    @Option(help: "Detector weights folder (default: weights/<name> or VZ_WEIGHTS_PATH).")
    var detectorWeights: String?

    @Option(help: "Cosine threshold, \(OptionRanges.text(OptionRanges.cosine)) (default: the recognizer's calibrated threshold).")
    var threshold: Float?

    @Flag(help: "Inputs are already aligned face crops (ArcFace 112x112 layout): skip detection.")
    var aligned = false

    @Option(help: "Use the N-th largest face, \(OptionRanges.text(OptionRanges.faceIndex)) (0 = largest).")
    var faceIndex: Int?

    @Flag(help: "Do not try other orientations when no upright face is found.")
    var noRotate = false

    @Option(help: "CSV of pairs: image_a,image_b[,label] (optional header; label 1/-1, same/different, true/false).")
    var pairs: String?

    @Option(help: "Folder the --pairs paths are relative to (default: the CSV's folder).")
    var root: String?

    @Option(help: "With --pairs: also write the summary JSON here.")
    var outputJson: String?

    @Option(help: "Calibrate thresholds on an identity-per-folder tree DIR/<identity>/<image> (all pairs).")
    var calibrate: String?

    @Option(help: "With --calibrate: an extra target false-accept rate, in (0, 1).")
    var far: Double?

    @Option(help: "With --calibrate: write the upper tail of the impostor scores (what `vz identify` calibrates its open-set threshold on) as JSON to this file.")
    var impostorTail: String?

    @OptionGroup var precisionOption: PrecisionOption

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?

    func validate() throws {
        if pairs != nil && calibrate != nil { throw ValidationError("--pairs and --calibrate exclude each other") }
        if pairs == nil && calibrate == nil && images.count != 2 { throw ValidationError("give two images, or --pairs FILE, or --calibrate DIR") }
        if (pairs != nil || calibrate != nil) && !images.isEmpty { throw ValidationError("--pairs/--calibrate take no image arguments") }
        if let far, !(far > 0 && far < 1) { throw ValidationError("--far must be in (0, 1), got \(far)") }
        try OptionRanges.check(threshold, OptionRanges.cosine, "threshold")
        try OptionRanges.check(faceIndex, OptionRanges.faceIndex, "face-index")
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        precisionOption.apply()
        let verifier: FaceVerifier
        do {
            let emb = try FaceModelFactory.embedder(recognizer, weights: weights.map { URL(fileURLWithPath: $0) })
            let det = aligned ? nil : try FaceModelFactory.detector(detector, weights: detectorWeights.map { URL(fileURLWithPath: $0) })
            let t: FaceThreshold
            if let threshold { t = .user(threshold) } else if let c = FaceThresholds.calibrated(recognizer) { t = c }
            else if calibrate != nil { t = .user(0) } else {
                throw FacePairsError(message: "no calibrated threshold for \(recognizer): pass --threshold")
            }
            verifier = FaceVerifier(detector: det, embedder: emb, threshold: t, aligned: aligned, faceIndex: faceIndex)
            verifier.tryRotations = !noRotate
        } catch {
            FileHandle.standardError.write(Data("vz verify: \(CLIExit.describe(error))\n".utf8))
            throw CLIExit.failed
        }
        if let pairs { try runPairs(verifier, pairs); return }
        if let calibrate { try runCalibration(verifier, calibrate); return }
        do {
            let a = try read(images[0]), b = try read(images[1])
            let r = try verifier.verify((a, images[0]), (b, images[1]))
            print(try r.jsonLine())
        } catch {
            FileHandle.standardError.write(Data("vz verify: \(CLIExit.describe(error))\n".utf8))
            throw CLIExit.failed
        }
    }

    private func read(_ path: String) throws -> Data {
        do { return try ImageDecoder.readFile(URL(fileURLWithPath: path)) } catch let e as ImageError {
            throw FaceVerifierError.unreadable(image: path, reason: CLIFiles.cause(e))
        }
    }

    private func runPairs(_ verifier: FaceVerifier, _ csv: String) throws {
        let list: FacePairs
        do {
            let text = try CLIFiles.readText(csv)
            list = try FacePairs(csv: text, file: csv)
        } catch {
            FileHandle.standardError.write(Data("vz verify: \(CLIExit.describe(error))\n".utf8))
            throw CLIExit.failed
        }
        let base = URL(fileURLWithPath: root ?? URL(fileURLWithPath: csv).deletingLastPathComponent().path)
        var cache: [String: FaceVerifier.Analysis] = [:]
        var sims: [Float] = [], labels: [Bool] = [], failures = 0
        let progress = ProgressReporter(total: list.pairs.count, label: "vz verify", unit: "pairs")
        for (i, p) in list.pairs.enumerated() {
            progress.update(done: i, current: (p.a as NSString).lastPathComponent)
            do {
                func analysis(_ rel: String) throws -> FaceVerifier.Analysis {
                    if let c = cache[rel] { return c }
                    let url = rel.hasPrefix("/") ? URL(fileURLWithPath: rel) : base.appendingPathComponent(rel)
                    let a = try verifier.analyze(data: try read(url.path), name: rel)
                    cache[rel] = a
                    return a
                }
                let r = verifier.decide(try analysis(p.a), try analysis(p.b))
                print(try r.jsonLine())
                if let s = p.same { sims.append(r.similarity); labels.append(s) }
            } catch {
                failures += 1
                let obj = ["image_a": p.a, "image_b": p.b, "error": CLIExit.describe(error)]
                print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
            }
        }
        progress.finish(total: list.pairs.count)
        var summary = FacePairs.summary(similarities: sims, labels: labels, threshold: verifier.threshold.value)
        summary["failed_pairs"] = Double(failures)
        var obj: [String: Any] = summary
        obj["threshold_source"] = verifier.threshold.source
        obj["recognizer"] = verifier.embedder.name
        obj["precision"] = ComputePrecision.default.rawValue
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        FileHandle.standardError.write(data + Data("\n".utf8))
        if let outputJson {
            do { try CLIFiles.write(data, to: outputJson) } catch { Stderr.print("vz verify: \(CLIExit.describe(error))"); throw CLIExit.failed }
        }
        if failures > 0 { throw CLIExit.partial }
    }

    private func runCalibration(_ verifier: FaceVerifier, _ dir: String) throws {
        let files: [(identity: String, url: URL)]
        do { files = try FaceCalibration.listImages(URL(fileURLWithPath: dir)) } catch {
            FileHandle.standardError.write(Data("vz verify: \(CLIExit.describe(error))\n".utf8))
            throw CLIExit.failed
        }
        var embeddings: [[Float]] = [], identities: [String] = [], failed: [String] = []
        let start = Date()
        let progress = ProgressReporter(total: files.count, label: "vz verify --calibrate")
        for (i, f) in files.enumerated() {
            progress.update(done: i, current: f.url.lastPathComponent)
            do {
                let a = try verifier.analyze(data: try read(f.url.path), name: f.url.path)
                embeddings.append(a.embedding); identities.append(f.identity)
            } catch {
                failed.append(f.url.path)
                progress.clear()
                FileHandle.standardError.write(Data("vz verify: skipping \(f.url.path): \(CLIExit.describe(error))\n".utf8))
            }
        }
        progress.finish(total: files.count)
        let embedSeconds = Date().timeIntervalSince(start)
        let cal = FaceCalibration(embeddings: embeddings, identities: identities)
        var fars = [1e-2, 1e-3, 1e-4]
        if let far, !fars.contains(far) { fars.append(far) }
        let points = fars.sorted(by: >).compactMap { cal.point(far: $0) }
        let obj: [String: Any] = [
            "recognizer": verifier.embedder.name, "detector": aligned ? "none (aligned input)" : verifier.detector?.name ?? "none",
            "root": dir, "images": embeddings.count, "identities": Set(identities).count, "failed_images": failed,
            "genuine_pairs": cal.genuine.count, "impostor_pairs": cal.impostors.count,
            "ms_per_image": embeddings.isEmpty ? 0 : JSONPrecision.milliseconds(embedSeconds * 1000 / Double(files.count)),
            "thresholds": points.map { ["far": $0.far, "threshold": JSONPrecision.threshold($0.threshold) as Double, "tar": $0.tar, "far_measured": $0.far_measured] },
        ]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        if let impostorTail {
            let id = FaceModelFactory.recognizerID(recognizer, weights: weights.map { URL(fileURLWithPath: $0) })
            let source = "all \(cal.impostors.count) impostor pairs of \(embeddings.count) images of \(Set(identities).count) identities in \(URL(fileURLWithPath: dir).standardizedFileURL.pathComponents.suffix(2).joined(separator: "/"))\(aligned ? " (aligned crops)" : "")"
            let tail = ImpostorTail(recognizer: id, source: source, impostors: cal.impostors)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            do { try CLIFiles.write(try enc.encode(tail) + Data("\n".utf8), to: impostorTail) } catch {
                Stderr.print("vz verify: \(CLIExit.describe(error))"); throw CLIExit.failed
            }
            Stderr.print("vz verify: wrote the impostor tail (\(tail.ranks.count) ranks of \(tail.pairs) pairs) to \(impostorTail)")
        }
        if !failed.isEmpty { throw CLIExit.partial }
    }
}
