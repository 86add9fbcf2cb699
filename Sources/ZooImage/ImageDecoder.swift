import CImageCodecs
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes JPEG, PNG, WebP and BMP data (format sniffed from the bytes) to an RGB8 `Image`.
///
/// JPEG: baseline, progressive, grayscale, CMYK and YCCK (read as Adobe-inverted CMYK, as Pillow does).
/// PNG: gray, gray+alpha, palette (with tRNS), RGB, RGBA, 1/2/4/8/16-bit, Adam7 interlaced; 16-bit samples keep
/// their high byte; alpha is composited onto `DecodeOptions.background`. EXIF orientation is applied by default.
/// WebP (libwebp): lossy and lossless stills, alpha composited as for PNG; animations refused. BMP: see
/// `BMPDecoder`.
///
/// Safety: libjpeg/libpng errors come back through setjmp/longjmp (never `exit()`); the header is read first
/// and images over `DecodeOptions.maxPixels` are refused before any pixel memory is allocated. Every failure
/// is an `ImageError` naming the file and the cause.
public enum ImageDecoder {
    /// Decodes encoded bytes; `name` is used in error messages.
    public static func decode(_ data: Data, name: String = "<bytes>", options: DecodeOptions = .init()) throws -> Image {
        try data.withUnsafeBytes { try decode(bytes: UnsafeRawBufferPointer($0), name: name, options: options) }
    }

    /// Reads and decodes a file. Directories, non-regular files, unreadable paths and empty files each give a
    /// specific `ImageError`.
    public static func decode(contentsOf url: URL, options: DecodeOptions = .init()) throws -> Image {
        let data = try readFile(url, maxBytes: options.maxFileBytes)
        return try decode(data, name: url.path, options: options)
    }

    /// Reads only the header: (width, height, format) as stored (before EXIF orientation).
    public static func size(of data: Data, name: String = "<bytes>") throws -> (width: Int, height: Int, format: ImageFormat) {
        try data.withUnsafeBytes { raw in
            let b = UnsafeRawBufferPointer(raw)
            let format = try sniff(b, name: name)
            let (w, h) = try header(b, format: format, name: name)
            return (w, h, format)
        }
    }

    // MARK: - Implementation

    static func decode(bytes b: UnsafeRawBufferPointer, name: String, options: DecodeOptions) throws -> Image {
        let format = try sniff(b, name: name)
        let (w, h) = try header(b, format: format, name: name)
        guard w <= options.maxPixels / h, w * h <= options.maxPixels else {
            throw ImageError(file: name, .tooLarge(width: w, height: h, limit: options.maxPixels))
        }
        var status: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let count = w * h * 3
        if format == .bmp {
            let h = try BMPDecoder.header(b, name: name)
            let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
                try BMPDecoder.decode(b, header: h, into: buf, name: name)
                initialized = count
            }
            return Image(width: w, height: h.height, pixels: pixels)
        }
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
            let base = b.baseAddress!.assumingMemoryBound(to: UInt8.self)
            message.withUnsafeMutableBufferPointer { m in
                switch format {
                case .jpeg:
                    status = vz_jpeg_decode_rgb(base, b.count, Int32(w), Int32(h), buf.baseAddress, m.baseAddress, m.count)
                case .png:
                    let bg = options.background
                    status = vz_png_decode_rgb(base, b.count, Int32(w), Int32(h), buf.baseAddress, bg.0, bg.1, bg.2,
                                               m.baseAddress, m.count)
                case .webp:
                    let bg = options.background
                    status = vz_webp_decode_rgb(base, b.count, Int32(w), Int32(h), buf.baseAddress, bg.0, bg.1, bg.2,
                                                m.baseAddress, m.count)
                case .bmp:
                    status = Int32(VZ_ERR_ARGUMENT.rawValue)   // decoded above
                }
            }
            initialized = status == Int32(VZ_OK.rawValue) ? count : 0
        }
        if status != Int32(VZ_OK.rawValue) { throw error(status, message, format: format, name: name) }
        let image = Image(width: w, height: h, pixels: pixels)
        guard options.applyEXIFOrientation, format == .jpeg || format == .png else { return image }
        let orientation = ExifOrientation.read(b)
        return orientation == 1 ? image : image.applyingEXIFOrientation(orientation)
    }

    static func sniff(_ b: UnsafeRawBufferPointer, name: String) throws -> ImageFormat {
        guard b.count > 0 else { throw ImageError(file: name, .empty) }
        if let f = ImageFormat.sniff(b) { return f }
        // A prefix of a signature is a truncated image, not a foreign format.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF], png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let riff: [UInt8] = [0x52, 0x49, 0x46, 0x46]
        for sig in [jpeg, png, riff] where b.count < sig.count && (0..<b.count).allSatisfy({ b[$0] == sig[$0] }) {
            throw ImageError(file: name, .truncated)
        }
        throw ImageError(file: name, .unsupportedFormat)
    }

    /// Width and height from the header (libjpeg/libpng header read only; no pixel allocation).
    static func header(_ b: UnsafeRawBufferPointer, format: ImageFormat, name: String) throws -> (Int, Int) {
        var message = [CChar](repeating: 0, count: 256)
        let base = b.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var w: Int32 = 0, h: Int32 = 0
        let status: Int32 = message.withUnsafeMutableBufferPointer { m in
            switch format {
            case .jpeg:
                var info = vz_jpeg_info_t()
                let s = vz_jpeg_info(base, b.count, &info, m.baseAddress, m.count)
                w = info.width; h = info.height
                return s
            case .png:
                var info = vz_png_info_t()
                let s = vz_png_info(base, b.count, &info, m.baseAddress, m.count)
                w = info.width; h = info.height
                return s
            case .webp:
                var info = vz_webp_info_t()
                let s = vz_webp_info(base, b.count, &info, m.baseAddress, m.count)
                w = info.width; h = info.height
                return s
            case .bmp:
                return Int32(VZ_OK.rawValue)
            }
        }
        if status != Int32(VZ_OK.rawValue) { throw error(status, message, format: format, name: name) }
        if format == .bmp {
            let bmp = try BMPDecoder.header(b, name: name)
            return (bmp.width, bmp.height)
        }
        guard w > 0, h > 0 else { throw ImageError(file: name, .zeroSize) }
        return (Int(w), Int(h))
    }

    static func error(_ status: Int32, _ message: [CChar], format: ImageFormat, name: String) -> ImageError {
        let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let detail = "\(format.rawValue.uppercased()): \(text)"
        switch status {
        case Int32(VZ_ERR_TRUNCATED.rawValue): return ImageError(file: name, .truncated)
        case Int32(VZ_ERR_ZERO_SIZE.rawValue): return ImageError(file: name, .zeroSize)
        case Int32(VZ_ERR_UNSUPPORTED.rawValue): return ImageError(file: name, .corrupt("unsupported variant: \(detail)"))
        default: return ImageError(file: name, .corrupt(detail))
        }
    }

    /// Reads a whole regular file with POSIX calls so errors carry errno text. Opened non-blocking so that a
    /// FIFO cannot hang the reader (it is refused as `notAFile` before a byte is read); devices such as
    /// `/dev/zero` are refused the same way. Every entry point that reads an image from a path goes through here
    /// (`decode(contentsOf:)`, `Detector.detect(contentsOf:)`, the `vz` commands).
    public static func readFile(_ url: URL, maxBytes: Int = DecodeOptions().maxFileBytes) throws -> Data {
        let path = url.path
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == EISDIR { throw ImageError(file: path, .isDirectory) }
            throw ImageError(file: path, .unreadable(errnoText(e)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ImageError(file: path, .unreadable(errnoText(errno))) }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { throw ImageError(file: path, .isDirectory) }
        guard type == S_IFREG else { throw ImageError(file: path, .notAFile) }
        let size = Int(st.st_size)
        guard size > 0 else { throw ImageError(file: path, .empty) }
        guard size <= maxBytes else {
            throw ImageError(file: path, .unreadable("file is \(size) bytes, over the \(maxBytes)-byte limit"))
        }
        var data = Data(count: size)
        var done = 0
        let failure: Int32? = data.withUnsafeMutableBytes { raw -> Int32? in
            while done < size {
                let n = read(fd, raw.baseAddress! + done, size - done)
                if n < 0 { if errno == EINTR { continue }; return errno }
                if n == 0 { break }  // the file shrank while reading
                done += n
            }
            return nil
        }
        if let e = failure { throw ImageError(file: path, .unreadable(errnoText(e))) }
        if done < size { data.count = done }
        guard done > 0 else { throw ImageError(file: path, .empty) }
        return data
    }

    /// The system's text for `e`, with the cause spelled out where strerror's wording misleads
    /// (ELOOP: "symlink loop", not only "Too many levels of symbolic links").
    public static func errnoText(_ e: Int32) -> String {
        switch e {
        case ELOOP: return "symlink loop (too many levels of symbolic links)"
        case ENOENT: return "no such file or directory"
        case EACCES: return "permission denied"
        default: return String(cString: strerror(e))
        }
    }
}
