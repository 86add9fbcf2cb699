import CImageCodecs
import Foundation

/// Encodes an RGB8 `Image` as PNG (lossless, zlib level 6) or baseline JPEG (4:2:0, libjpeg quality scale).
public enum ImageEncoder {
    /// PNG bytes (8-bit RGB, not interlaced).
    public static func png(_ image: Image, name: String = "<bytes>") throws -> Data {
        try encode(image, name: name) { src, out, size, m in
            vz_png_encode_rgb(src, Int32(image.width), Int32(image.height), out, size, m.baseAddress, m.count)
        }
    }

    /// JPEG bytes at `quality` 1...100.
    public static func jpeg(_ image: Image, quality: Int = 90, name: String = "<bytes>") throws -> Data {
        guard (1...100).contains(quality) else {
            throw ImageError(file: name, .encodeFailed("JPEG quality \(quality) is outside 1...100"))
        }
        return try encode(image, name: name) { src, out, size, m in
            vz_jpeg_encode_rgb(src, Int32(image.width), Int32(image.height), Int32(quality), out, size, m.baseAddress, m.count)
        }
    }

    /// Writes `image` to `url`, choosing the format from the extension (.png, .jpg, .jpeg; JPEG at quality 90).
    public static func write(_ image: Image, to url: URL, jpegQuality: Int = 90) throws {
        let ext = url.pathExtension
        guard let format = ImageFormat.forExtension(ext) else { throw ImageError(file: url.path, .unsupportedExtension(ext)) }
        let data: Data
        switch format {
        case .png: data = try png(image, name: url.path)
        case .jpeg: data = try jpeg(image, quality: jpegQuality, name: url.path)
        case .webp, .bmp: throw ImageError(file: url.path, .unsupportedExtension(ext))   // not returned by forExtension
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            // Prefer the system's errno text ("No such file or directory") over Foundation's wrapper message.
            let ns = error as NSError
            let posix = (ns.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? $0.code : nil }
            let text = posix.map { String(cString: strerror(Int32($0))) } ?? ns.localizedDescription
            throw ImageError(file: url.path, .writeFailed(text))
        }
    }

    private static func encode(
        _ image: Image, name: String,
        _ body: (UnsafePointer<UInt8>, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
                 UnsafeMutableBufferPointer<CChar>) -> Int32
    ) throws -> Data {
        guard image.width > 0, image.height > 0 else {
            throw ImageError(file: name, .encodeFailed("cannot encode a \(image.width)x\(image.height) image"))
        }
        var message = [CChar](repeating: 0, count: 256)
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let status = image.pixels.withUnsafeBufferPointer { src in
            message.withUnsafeMutableBufferPointer { m in body(src.baseAddress!, &out, &size, m) }
        }
        guard status == Int32(VZ_OK.rawValue), let bytes = out else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw ImageError(file: name, .encodeFailed(text))
        }
        defer { vz_free(bytes) }
        return Data(bytes: bytes, count: size)
    }
}
