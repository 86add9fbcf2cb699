import ArgumentParser
import Foundation
import ZooPipelines
import ZooTensor

@main
struct VZ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vz",
        abstract: "VisionZoo: vision models on the CPU — detection, face verification and identification, COCO evaluation, serving.",
        discussion: CLIExit.helpText,
        version: VisionZooVersion.string,
        subcommands: [Info.self, Bench.self, Detect.self, Models.self, Weights.self, Eval.self, FacesCommand.self, VerifyCommand.self, GalleryCommand.self, IdentifyCommand.self, Serve.self]
    )

    static func main() async {
        OpenMPWaitPolicy.ensurePassive()
        let command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }   // usage: message + 64, help: 0
        do {
            var command = command
            if var async = command as? AsyncParsableCommand { try await async.run() } else { try command.run() }
        } catch let code as ExitCode {
            exit(withError: code)   // the command printed its messages already
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            exit(withError: error)   // ValidationError, CleanExit, the help command's own errors
        } catch {
            // Anything else means the command could not run: one line in the scheme's format, exit 2.
            let path = CLIExit.commandPath(VZ.self, arguments: Array(CommandLine.arguments.dropFirst()))
            FileHandle.standardError.write(Data("\(path): \(CLIExit.describe(error))\n".utf8))
            exit(withError: CLIExit.failed)
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
