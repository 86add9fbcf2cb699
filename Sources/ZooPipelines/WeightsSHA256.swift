import Crypto
import Foundation

/// SHA-256 for checking downloaded and loaded weights: a streaming wrapper over swift-crypto's `SHA256`
/// (BoringSSL's implementation on Linux, CryptoKit on Apple platforms), reporting lower-case hex as `sha256sum` does.
public struct WeightsSHA256 {
    private var hasher = SHA256()

    public init() {}

    /// Feeds bytes.
    public mutating func update(_ data: UnsafeRawBufferPointer) { hasher.update(bufferPointer: data) }

    public mutating func update(_ data: Data) { hasher.update(data: data) }

    /// The digest as lower-case hex.
    public mutating func finalizeHex() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a file, read in 4 MB chunks.
    public static func hex(ofFile url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var sha = WeightsSHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { sha.update(chunk) }
        return sha.finalizeHex()
    }

    /// SHA-256 of bytes.
    public static func hex(of data: Data) -> String { var s = WeightsSHA256(); s.update(data); return s.finalizeHex() }
}
