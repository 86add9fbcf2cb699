import ArgumentParser
import Foundation
import ZooModels
import ZooPipelines

/// `vz models`: the model zoo.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the model zoo: name, family, input size, classes, weight source, licence, published accuracy, local presence.")

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func run() throws {
        let store = WeightsStore.standard()
        for e in ModelZoo.entries {
            let c = e.card
            let local = store.locate(c)
            if json {
                let obj: [String: Any] = [
                    "name": c.name, "family": c.family, "task": c.task.rawValue, "input": [c.input.width, c.input.height],
                    "classes": c.classes, "source": c.source.summary, "licence": c.licence, "accuracy": c.accuracy,
                    "present": local != nil, "path": local?.path as Any? ?? NSNull(), "default": c.name == ModelZoo.defaultDetector,
                ]
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(c.name)\(c.name == ModelZoo.defaultDetector ? " (default)" : "")")
                print("  family    \(c.family) (\(c.task.rawValue)), input \(c.input.width)x\(c.input.height), \(c.classes) classes")
                print("  weights   \(c.source.summary)")
                print("  licence   \(c.licence)")
                print("  accuracy  \(c.accuracy)")
                print("  local     \(local?.path ?? "not present")")
            }
        }
    }
}
