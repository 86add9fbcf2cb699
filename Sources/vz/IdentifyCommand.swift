import ArgumentParser
import Foundation
import ZooImage
import ZooPipelines

/// `vz identify IMAGE…`: who is each face, against the gallery, with an open-set threshold for its size.
struct IdentifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Identify every face in images against the gallery (`vz gallery add`), or answer \"unknown\".",
        discussion: """
        Output: one JSON line per image: {"image", "faces": [{"box", "score",
        "landmarks", "rotation", "name", "similarity", "best_match", "runner_up",
        "runner_up_similarity", "threshold", "threshold_source", "gallery_size"}],
        "threshold", "threshold_source", "gallery_size", "gallery_embeddings",
        "recognizer", "recognizer_version", "detector", "timings_ms"}.

        "name" is the best-matching person when its cosine similarity is above
        "threshold", else "unknown". The threshold is calibrated for the gallery's
        size N (its embeddings): a probe of someone not in the gallery is named as
        someone with probability FPIR (--fpir, default 1 %), so each comparison may
        pass at FAR = 1 - (1 - FPIR)^(1/N), mapped to a cosine by the recognizer's
        impostor scores on the LFW dev impostor pairs; "threshold_source" spells
        this out. --threshold fixes it instead.

        --evaluate DIR measures identification on a folder-per-person layout (the
        first image of each person with two or more is enrolled, the others are
        mated probes, people with one image are non-mated probes): rank-1, the
        detection-and-identification rate (DIR) and the measured FPIR at the
        calibrated threshold, as one JSON object.

        EXAMPLES
          vz gallery add --from-folders known_people/
          vz identify group.jpg photos/
          vz identify --fpir 0.001 door-camera.jpg
          vz identify --evaluate ../shared/data/lfw-112/images --aligned

        EXIT CODES
          0   every image was identified (faces may be "unknown"; an image without
              faces gives "faces": [])
          1   some images could not be read or decoded (named on stderr; the
              others were identified)
          2   nothing could run: a recognizer other than the gallery's, an
              unusable gallery, missing weights
          64  invalid command line
        """)

    @Argument(help: "Image files (JPEG, PNG, WebP, BMP), folders, quoted globs, - (stdin) or http(s) URLs.")
    var images: [String] = []

    @Option(help: "Evaluate identification on DIR/<person>/<images> instead (first image of each person with two or more enrolled in an in-memory gallery, the rest mated probes, single-image people non-mated probes): rank-1, DIR and FPIR at the calibrated threshold. The --gallery is not touched.")
    var evaluate: String?

    @OptionGroup var options: FacePipelineOptions

    func validate() throws {
        if evaluate != nil {
            guard images.isEmpty else { throw ValidationError("--evaluate DIR takes no IMAGE arguments") }
        } else {
            guard !images.isEmpty else { throw ValidationError("give at least one IMAGE (or --evaluate DIR)") }
        }
    }

    func run() throws {
        if let evaluate { return try runEvaluation(evaluate) }
        let identifier: FaceIdentifier
        do { identifier = try options.makeIdentifier() } catch {
            Stderr.print("vz identify: \(CLIExit.describe(error))")
            throw CLIExit.failed
        }
        let inputs = ImageInputs(images, skipping: [])
        var failed = inputs.problems.count
        for m in inputs.problems { Stderr.print("vz identify: \(m)") }
        if let line = inputs.skippedLine() { Stderr.print("vz identify: " + line) }
        for item in inputs.items {
            do {
                let data = try inputs.read(item, maxBytes: DecodeOptions().maxFileBytes)
                print(try identifier.identify(data: data, name: item.path).jsonLine())
                fflush(stdout)
            } catch let e as GalleryError {
                Stderr.print("vz identify: \(e)")
                throw CLIExit.failed
            } catch {
                Stderr.print("vz identify: skipped \(item.path): \(OutputFolder.describe(error))")
                failed += 1
            }
        }
        if failed > 0 { throw CLIExit.partial }
    }

    /// `--evaluate DIR`: embeds every image (largest face, as registration does), then
    /// `IdentificationEvaluation.run`; one JSON object on stdout, a summary on stderr.
    private func runEvaluation(_ dir: String) throws {
        let pipeline: (verifier: FaceVerifier, recognizer: RecognizerID)
        let files: [(identity: String, url: URL)]
        do {
            pipeline = try options.makeVerifier()
            files = try FaceCalibration.listImages(URL(fileURLWithPath: dir))
        } catch {
            Stderr.print("vz identify: \(CLIExit.describe(error))")
            throw CLIExit.failed
        }
        var samples: [IdentificationEvaluation.Sample] = [], failed: [String] = []
        let start = Date()
        let progress = ProgressReporter(total: files.count, label: "vz identify --evaluate")
        for (i, f) in files.enumerated() {
            progress.update(done: i, current: f.url.lastPathComponent)
            do {
                let a = try pipeline.verifier.analyze(data: try ImageDecoder.readFile(f.url), name: f.url.path)   // the largest face
                samples.append(.init(identity: f.identity, image: f.url.lastPathComponent, embedding: a.embedding))
            } catch {
                progress.clear()
                Stderr.print("vz identify: skipped \(f.url.path): \(CLIExit.describe(error))")
                failed.append(f.url.path)
            }
        }
        progress.finish(total: files.count)
        let result: IdentificationEvaluation
        do { result = try IdentificationEvaluation.run(samples, recognizer: pipeline.recognizer, policy: options.policy) } catch {
            Stderr.print("vz identify: \(dir): \(CLIExit.describe(error))")
            throw CLIExit.failed
        }
        print(try JSONLine.of(result))
        func pct(_ v: Double?) -> String { v.map { String(format: "%.2f %%", $0 * 100) } ?? "n/a" }
        Stderr.print("""
            vz identify --evaluate: \(result.identities) identities, \(samples.count) images embedded in \(String(format: "%.1f", Date().timeIntervalSince(start))) s\(failed.isEmpty ? "" : " (\(failed.count) skipped)")
              gallery \(result.gallery_people) people; \(result.mated_probes) mated, \(result.non_mated_probes) non-mated probes
              rank-1 \(pct(result.rank1)); at threshold \(String(format: "%.4f", result.threshold)): DIR \(pct(result.dir)), FPIR \(pct(result.fpir)) (target \(pct(result.target_fpir))), misidentified \(pct(result.misidentified))
            """)
        if !failed.isEmpty { throw CLIExit.partial }
    }
}
