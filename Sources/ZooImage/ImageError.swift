import Foundation

/// Why an image could not be read, decoded, encoded or written; always names the file (or `"<bytes>"`).
///
/// `description` reads like `image 'photos/cat.jpg': truncated data (PNG data ends early)`.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The cause, matchable in tests and callers.
    public enum Kind: Equatable, Sendable {
        /// The file or buffer holds zero bytes.
        case empty
        /// The data ends before the image does.
        case truncated
        /// The decoder rejected the data; `detail` is the library's message.
        case corrupt(String)
        /// The bytes are not a JPEG, PNG, WebP or BMP (sniffed from the content, never the extension).
        case unsupportedFormat
        /// The header declares more than `limit` pixels; refused before any pixel memory is allocated.
        case tooLarge(width: Int, height: Int, limit: Int)
        /// The header declares a zero width or height.
        case zeroSize
        /// The path exists but is not a regular file (FIFO, socket, device).
        case notAFile
        /// The path is a directory.
        case isDirectory
        /// The path cannot be opened or read; carries the system's errno text.
        case unreadable(String)
        /// Encoding failed (library message), or the image to encode is empty.
        case encodeFailed(String)
        /// The output file extension is not .png, .jpg or .jpeg.
        case unsupportedExtension(String)
        /// Writing the output file failed; carries the system's error text.
        case writeFailed(String)
    }

    /// The file path, or `"<bytes>"` for in-memory data.
    public let file: String
    public let kind: Kind

    public init(file: String, _ kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String {
        let cause: String
        switch kind {
        case .empty: cause = "empty (0 bytes)"
        case .truncated: cause = "truncated data (the image ends before all pixels are stored)"
        case .corrupt(let detail): cause = "corrupt data: \(detail)"
        case .unsupportedFormat: cause = "not a JPEG, PNG, WebP or BMP image (format sniffed from the bytes)"
        case let .tooLarge(w, h, limit):
            cause = "image too large: \(w)x\(h) = \(w * h) pixels exceeds the limit of \(limit) pixels"
        case .zeroSize: cause = "zero-sized image (width or height is 0)"
        case .notAFile: cause = "not a regular file"
        case .isDirectory: cause = "is a directory, not an image file"
        case .unreadable(let why): cause = "cannot read: \(why)"
        case .encodeFailed(let why): cause = "cannot encode: \(why)"
        case .unsupportedExtension(let ext): cause = "unsupported output extension '\(ext)' (use .png, .jpg or .jpeg)"
        case .writeFailed(let why): cause = "cannot write: \(why)"
        }
        return "image '\(file)': \(cause)"
    }
}
