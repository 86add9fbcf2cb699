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

        EXAMPLES
          vz gallery add --from-folders known_people/
          vz identify group.jpg photos/
          vz identify --fpir 0.001 door-camera.jpg

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
    var images: [String]

    @OptionGroup var options: FacePipelineOptions

    func run() throws {
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
}
