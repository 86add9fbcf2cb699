import ArgumentParser
import Foundation
import ZooModels
import ZooPipelines

/// `vz models`: the model zoo.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the model zoo: name, family, input size, classes, weight source, licence, published accuracy, calibrated face-verification threshold, local presence.")

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func run() throws {
        let store = WeightsStore.standard()
        for e in ModelZoo.entries {
            let c = e.card
            let local = store.locate(c)
            let threshold = FaceThresholds.calibrated(c.name)
            let isDefault = c.name == ModelZoo.defaultDetector || c.name == FaceModelFactory.defaultDetector
                || c.name == FaceModelFactory.defaultRecognizer
            if json {
                var obj: [String: Any] = [
                    "name": c.name, "family": c.family, "task": c.task.rawValue, "input": [c.input.width, c.input.height],
                    "classes": c.classes, "source": c.source.summary, "licence": c.licence, "accuracy": c.accuracy,
                    "present": local != nil, "path": local?.path as Any? ?? NSNull(), "default": isDefault,
                ]
                if let threshold {
                    obj["threshold"] = Double(threshold.value)
                    obj["threshold_source"] = threshold.source
                }
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(c.name)\(isDefault ? " (default)" : "")")
                print("  family    \(c.family) (\(c.task.rawValue)), input \(c.input.width)x\(c.input.height), \(c.classes) classes")
                print("  weights   \(c.source.summary)")
                print("  licence   \(c.licence)")
                print("  accuracy  \(c.accuracy)")
                if let threshold { print(String(format: "  threshold %.4f (cosine; %@)", threshold.value, threshold.source)) }
                print("  local     \(local?.path ?? "not present")")
            }
        }
    }
}
