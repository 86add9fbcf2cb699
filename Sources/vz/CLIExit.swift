import ArgumentParser
import Foundation

/// The one exit-code scheme and error format of every `vz` command (printed at the end of `vz --help`).
///
/// - 0: success.
/// - 1 (`partial`): one or more inputs failed — images, pairs, models to pull — each named on stderr; every other
///   input was processed and its results written.
/// - 2 (`failed`): the command could not run at all — unknown model, missing or malformed weights, no readable
///   input, an output that cannot be written, a port that cannot be bound.
/// - 64: command-line usage (unknown option, missing or out-of-range value) — ArgumentParser's `EX_USAGE`.
///
/// Every error line on stderr reads `vz COMMAND: [FILE: ]problem`, in words (no Foundation/NIO error domains).
enum CLIExit {
    static let partial = ExitCode(1)
    static let failed = ExitCode(2)

    static let helpText = """
    EXAMPLES
      vz weights pull && vz detect photo.jpg --save out
      vz eval --annotations instances_val.json --images val/ --model yolox-nano
      vz verify a.jpg b.jpg
      vz serve --port 5000
      vz COMMAND --help      (each command's options, examples and exit codes)

    EXIT CODES (every command)
      0   success
      1   one or more inputs failed (each named on stderr; the others were
          processed and written)
      2   the command could not run: unknown model, missing or malformed weights,
          no readable input, an output that cannot be written, an address that
          cannot be bound
      64  invalid command line (unknown option, bad or out-of-range value)
    Errors are printed to stderr as "vz COMMAND: [FILE: ]problem".
    """

    /// `vz detect`, `vz weights pull`, …: the subcommand path named in `arguments` (the words before the first
    /// option that name nested subcommands).
    static func commandPath(_ root: ParsableCommand.Type, arguments: [String]) -> String {
        var path = ["vz"]
        var current: ParsableCommand.Type = root
        for word in arguments where !word.hasPrefix("-") {
            guard let sub = current.configuration.subcommands.first(where: { $0._commandName == word }) else { break }
            path.append(word)
            current = sub
        }
        return path.joined(separator: " ")
    }

    /// An error that escaped a command's `run()`, in words: the command's own error types describe themselves;
    /// Foundation's file errors become "no such file or directory", "permission denied", ….
    static func describe(_ error: Error) -> String {
        if error is CocoaError || error is POSIXError || type(of: error) == NSError.self { return OutputFolder.describe(error) }
        return String(describing: error)   // our error types describe themselves
    }
}
