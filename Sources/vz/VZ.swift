import ArgumentParser
import Foundation
import ZooPipelines
import ZooTensor

@main
struct VZ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vz",
        abstract: "VisionZoo: vision models on the CPU — detection, face verification and identification, COCO evaluation, serving.",
        version: VisionZooVersion.string,
        subcommands: [Info.self, Bench.self, Detect.self, Models.self, Weights.self, Eval.self, FacesCommand.self, VerifyCommand.self, GalleryCommand.self, IdentifyCommand.self, Serve.self]
    )

    static func main() async {
        OpenMPWaitPolicy.ensurePassive()
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand { try await async.run() } else { try command.run() }
        } catch {
            exit(withError: error)
        }
    }
}

/// oneDNN's OpenMP threads (libgomp) spin-wait between parallel regions by default, fighting our own and
/// OpenBLAS's threads (and every other process) for the cores; measured on 2 busy cores, yolov3-tiny took
/// 310–590 ms best with spinning and 62–67 ms with `OMP_WAIT_POLICY=PASSIVE`. libgomp reads its environment when
/// it is loaded, before `main`, so `vz` re-executes itself once with PASSIVE unless the variable is already set
/// (set `OMP_WAIT_POLICY=ACTIVE` to keep spinning).
enum OpenMPWaitPolicy {
    static func ensurePassive() {
        #if os(Linux)
        guard getenv("OMP_WAIT_POLICY") == nil, getenv("GOMP_SPINCOUNT") == nil else { return }
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
        let args = CommandLine.unsafeArgv
        execv("/proc/self/exe", args)
        // exec failed: carry on spinning
        #endif
    }
}
