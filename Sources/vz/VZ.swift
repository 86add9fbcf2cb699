import ArgumentParser
import Foundation
import ZooPipelines
import ZooTensor

@main
struct VZ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vz",
        abstract: "VisionZoo: vision models on the CPU — detection, face verification, COCO evaluation, serving.",
        version: VisionZooVersion.string,
        subcommands: [Info.self, Bench.self, Detect.self, Models.self, Weights.self, Eval.self, FacesCommand.self, VerifyCommand.self, Serve.self]
    )
}
