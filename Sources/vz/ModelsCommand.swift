import ArgumentParser
import Foundation
import ZooModels
import ZooPipelines

/// `vz models`: the model zoo.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the model zoo: name, family, input size, classes, weight source, licence, published accuracy, calibrated face-verification threshold, local presence.",
        discussion: """
        EXAMPLES
          vz models
          vz models --json | jq -r 'select(.task == "detection") | .name'
          vz models yolox-nano --describe

        EXIT CODES
          0   listed
          2   an unknown model name
          64  invalid command line
        """)

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    @Argument(help: "Show only these models.")
    var names: [String] = []

    @Flag(help: "Also print each composed detector's modules (backbone → neck → head), every output's shape, stride and theoretical receptive field, its parameters and FLOPs at the default input size (loads the weights).")
    var describe = false

    func run() throws {
        let store = WeightsStore.standard()
        let entries = try names.isEmpty ? ModelZoo.entries : names.map { try ModelZoo.entry(named: $0) }
        for e in entries {
            let c = e.card
            let local = store.locate(c)
            let threshold = FaceThresholds.calibrated(c.name)
            let isDefault = c.name == ModelZoo.defaultDetector || c.name == FaceModelFactory.defaultDetector
                || c.name == FaceModelFactory.defaultRecognizer
            if json {
                var obj: [String: Any] = [
                    "name": c.name, "family": c.family, "task": c.task.rawValue, "input": [c.input.width, c.input.height],
                    "classes": c.task == .detection ? c.classes as Any : NSNull(),
                    "embedding_size": c.task == .faceEmbedding ? c.classes as Any : NSNull(), "source": c.source.summary, "licence": c.licence, "accuracy": c.accuracy,
                    "present": local != nil, "path": local?.path as Any? ?? NSNull(), "default": isDefault,
                ]
                if let threshold {
                    obj["threshold"] = JSONPrecision.threshold(threshold.value) as Double
                    obj["threshold_source"] = threshold.source
                }
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(c.name)\(isDefault ? " (default)" : "")")
                print("  family    \(c.family) (\(c.task.rawValue)), \(Self.shapeText(c))")
                print("  weights   \(c.source.summary)")
                print("  licence   \(c.licence)")
                print("  accuracy  \(c.accuracy)")
                if let threshold { print(String(format: "  threshold %.4f (cosine; %@)", threshold.value, threshold.source)) }
                print("  local     \(local?.path ?? "not present")")
            }
            if describe { try printDescription(e, store: store) }
        }
    }

    /// The input and output of a card in the terms of its task: a detector's input size and classes, a face
    /// detector's input (MTCNN: any size, through its image pyramid) and five landmarks, an embedder's aligned
    /// crop and embedding size.
    static func shapeText(_ c: ModelCard) -> String {
        let input: String
        switch c.input.resize {
        case .shortestSide: input = "input shortest side \(c.input.height) (longest ≤ \(c.input.width))"
        default: input = "input \(c.input.width)x\(c.input.height)"
        }
        switch c.task {
        case .detection: return "\(input), \(c.classes) classes"
        case .faceDetection:
            return c.name == "mtcnn" ? "any input size (image pyramid from 12x12 windows), box + 5 landmarks" : "\(input), box + 5 landmarks"
        case .faceEmbedding: return "aligned \(c.input.width)x\(c.input.height) crop → \(c.classes)-d embedding"
        }
    }

    /// The traced composition of a module-built detector or face detector (cascades and embedders are not
    /// composed of backbone/neck/head modules).
    func printDescription(_ e: ModelEntry, store: WeightsStore) throws {
        let composed: SingleStageDetector
        switch e.factory {
        case .detector(let make):
            guard let m = try make(try store.require(e.card), e.card) as? SingleStageDetector else { return }
            composed = m
        case .face:
            guard e.card.task == .faceDetection, let m = try FaceModelFactory.composedDetector(e.card.name) else {
                if !json { print("  modules   (not composed of backbone/neck/head modules)") }
                return
            }
            composed = m.network
        }
        let d = try DetectorDescription(composed)
        if json {
            let stages: [[String: Any]] = d.stages.map { s in
                ["role": s.role, "module": s.module, "outputs": s.outputs.map { o -> [String: Any] in
                    var r: [String: Any] = ["name": o.name, "shape": o.shape, "receptive_field": o.receptiveField.size]
                    if let st = o.stride { r["stride"] = st }
                    return r
                }]
            }
            let obj: [String: Any] = ["name": d.model, "input": d.inputShape, "stages": stages, "parameters": d.parameters,
                                      "flops": d.multiplyAccumulates * 2]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(d.text.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
    }
}
