import Foundation

/// An encoded image format, recognised from its leading bytes (never from a file extension).
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, bmp

    /// The format whose signature starts `bytes`, or nil: JPEG = `FF D8 FF`, PNG = `89 50 4E 47 0D 0A 1A 0A`,
    /// WebP = `RIFF····WEBP`, BMP = `BM`.
    public static func sniff(_ bytes: Data) -> ImageFormat? {
        bytes.withUnsafeBytes { sniff(UnsafeRawBufferPointer($0)) }
    }

    static func sniff(_ b: UnsafeRawBufferPointer) -> ImageFormat? {
        if b.count >= 3, b[0] == 0xFF, b[1] == 0xD8, b[2] == 0xFF { return .jpeg }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if b.count >= 8, (0..<8).allSatisfy({ b[$0] == png[$0] }) { return .png }
        if b.count >= 12, b[0] == 0x52, b[1] == 0x49, b[2] == 0x46, b[3] == 0x46,
           b[8] == 0x57, b[9] == 0x45, b[10] == 0x42, b[11] == 0x50 { return .webp }
        if b.count >= 2, b[0] == 0x42, b[1] == 0x4D { return .bmp }
        return nil
    }

    /// File extensions taken when walking a folder (lower case).
    public static let readableExtensions: Set<String> = ["jpg", "jpeg", "jpe", "jfif", "png", "webp", "bmp", "dib"]

    /// The format for an output file name's extension (.png, .jpg, .jpeg; case-insensitive), or nil.
    public static func forExtension(_ ext: String) -> ImageFormat? {
        switch ext.lowercased() {
        case "png": return .png
        case "jpg", "jpeg": return .jpeg
        default: return nil
        }
    }
}
