/// A problem reading a torch pickle (`.pt`) file: names the file and what was wrong.
public struct TorchPickleError: Error, CustomStringConvertible, Equatable {
    /// The file (or a caller-given label for in-memory data).
    public var file: String
    /// What went wrong, e.g. `opcode 0x93 (STACK_GLOBAL) at byte 1203 is not supported`.
    public var message: String

    public init(file: String, _ message: String) { self.file = file; self.message = message }

    public var description: String { "\(file): \(message)" }
}
