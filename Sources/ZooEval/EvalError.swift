import Foundation

/// Errors from reading datasets and results and from evaluating them; each names the file and field at fault.
public enum EvalError: Error, CustomStringConvertible, Equatable {
    /// A file could not be read at all (missing, unreadable, not JSON/XML).
    case unreadable(file: String, reason: String)
    /// A file was read but a field is missing or has the wrong type or value.
    case malformed(file: String, field: String, problem: String)
    /// The inputs do not fit together (e.g. detections on images that are not in the ground truth).
    case mismatch(String)
    /// An option value that cannot be used.
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .malformed(file, field, problem): return "\(file): \(field): \(problem)"
        case let .mismatch(message): return message
        case let .invalidOption(message): return message
        }
    }
}

extension EvalError: LocalizedError {
    public var errorDescription: String? { description }
}
