import Foundation

/// Reads an image's pixel size from its header only (JPEG SOFn marker, PNG IHDR, BMP, GIF), without decoding.
/// The size is the stored one: EXIF orientation is not applied (as darknet, which YOLO labels come from).
public enum ImageSize {
    /// `(width, height)` of the image file at `url`.
    public static func read(_ url: URL) throws -> (width: Int, height: Int) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw EvalError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        guard let size = parse(data) else {
            throw EvalError.malformed(file: url.path, field: "image header", problem: "not a JPEG, PNG, BMP or GIF image, or truncated")
        }
        return size
    }

    /// The size from the header bytes, or nil if the format is unknown or the header is cut short.
    public static func parse(_ data: Data) -> (width: Int, height: Int)? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> (Int, Int)? in
            let b = raw.bindMemory(to: UInt8.self)
            let n = b.count
            func be16(_ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
            func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
            func le16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
            func le32(_ i: Int) -> Int { Int(Int32(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)) }
            if n >= 24, b[0] == 0x89, b[1] == 0x50, b[2] == 0x4E, b[3] == 0x47, b[12] == 0x49, b[13] == 0x48 {
                return (be32(16), be32(20))                                  // PNG IHDR
            }
            if n >= 4, b[0] == 0xFF, b[1] == 0xD8 {                           // JPEG
                var p = 2
                while p + 1 < n {
                    guard b[p] == 0xFF else { return nil }
                    var marker = b[p + 1]
                    p += 2
                    while marker == 0xFF && p < n { marker = b[p]; p += 1 }  // fill bytes
                    if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { continue }
                    if marker == 0xD9 || marker == 0xDA { return nil }       // EOI / SOS before any SOF
                    guard p + 1 < n else { return nil }
                    let len = be16(p)
                    if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                        guard p + 6 < n else { return nil }
                        let h = be16(p + 3), w = be16(p + 5)
                        return w > 0 && h > 0 ? (w, h) : nil
                    }
                    guard len >= 2 else { return nil }
                    p += len
                }
                return nil
            }
            if n >= 26, b[0] == 0x42, b[1] == 0x4D { return (le32(18), abs(le32(22))) }   // BMP
            if n >= 10, b[0] == 0x47, b[1] == 0x49, b[2] == 0x46 { return (le16(6), le16(8)) } // GIF
            return nil
        }
    }
}
