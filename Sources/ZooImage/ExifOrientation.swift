import Foundation

/// Reads the EXIF orientation tag (TIFF tag 0x0112, values 1...8) from encoded JPEG or PNG bytes.
///
/// JPEG: the first APP1 segment starting `"Exif\0\0"` before the first scan (as Pillow). PNG: the `eXIf` chunk.
/// The TIFF structure is parsed here (both `II` little-endian and `MM` big-endian byte orders), bounds-checked
/// at every step: malformed or absent data means orientation 1 (as stored), never an error.
///
/// Meaning of the values (the transform that makes the stored pixels upright, as Pillow's `exif_transpose`):
/// 1 none, 2 mirror left-right, 3 rotate 180°, 4 mirror top-bottom, 5 transpose, 6 rotate 90° clockwise,
/// 7 transverse, 8 rotate 90° counter-clockwise.
public enum ExifOrientation {
    /// The orientation stored in `bytes` (1 if none or invalid).
    public static func read(_ bytes: Data) -> Int {
        bytes.withUnsafeBytes { read(UnsafeRawBufferPointer($0)) }
    }

    static func read(_ b: UnsafeRawBufferPointer) -> Int {
        switch ImageFormat.sniff(b) {
        case .jpeg?: return fromJPEG(b) ?? 1
        case .png?: return fromPNG(b) ?? 1
        case .webp?, .bmp?, nil: return 1
        }
    }

    private static func be16(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
    private static func be32(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int {
        Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
    }

    /// Walks JPEG marker segments from SOI up to SOS/EOI looking for APP1 Exif.
    static func fromJPEG(_ b: UnsafeRawBufferPointer) -> Int? {
        var pos = 2
        while pos + 4 <= b.count {
            guard b[pos] == 0xFF else { return nil }
            var marker = Int(b[pos + 1])
            while marker == 0xFF {          // fill bytes
                pos += 1
                guard pos + 1 < b.count else { return nil }
                marker = Int(b[pos + 1])
            }
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { pos += 2; continue }  // standalone markers
            if marker == 0xDA || marker == 0xD9 { return nil }                          // scan data / end
            guard pos + 4 <= b.count else { return nil }
            let length = be16(b, pos + 2)
            guard length >= 2, pos + 2 + length <= b.count else { return nil }
            let start = pos + 4, end = pos + 2 + length
            if marker == 0xE1, end - start >= 6,
               b[start] == 0x45, b[start + 1] == 0x78, b[start + 2] == 0x69, b[start + 3] == 0x66,
               b[start + 4] == 0, b[start + 5] == 0 {
                return fromTIFF(UnsafeRawBufferPointer(rebasing: b[(start + 6)..<end]))
            }
            pos = end
        }
        return nil
    }

    /// Walks PNG chunks looking for `eXIf` (payload: a TIFF structure, optionally prefixed by `"Exif\0\0"`).
    static func fromPNG(_ b: UnsafeRawBufferPointer) -> Int? {
        var pos = 8
        while pos + 12 <= b.count {
            let length = be32(b, pos)
            guard length <= b.count - pos - 12 else { return nil }
            let type = (b[pos + 4], b[pos + 5], b[pos + 6], b[pos + 7])
            let start = pos + 8, end = start + length
            if type == (0x65, 0x58, 0x49, 0x66) {    // "eXIf"
                var s = start
                if end - s >= 6, b[s] == 0x45, b[s + 1] == 0x78, b[s + 2] == 0x69, b[s + 3] == 0x66,
                   b[s + 4] == 0, b[s + 5] == 0 { s += 6 }
                return fromTIFF(UnsafeRawBufferPointer(rebasing: b[s..<end]))
            }
            if type == (0x49, 0x45, 0x4E, 0x44) { return nil }  // "IEND"
            pos = end + 4
        }
        return nil
    }

    /// Reads tag 0x0112 from IFD0 of a TIFF structure (`II*\0` or `MM\0*`).
    static func fromTIFF(_ t: UnsafeRawBufferPointer) -> Int? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        if t[0] == 0x49 && t[1] == 0x49 { little = true } else if t[0] == 0x4D && t[1] == 0x4D { little = false } else { return nil }
        func u16(_ i: Int) -> Int { little ? Int(t[i]) | Int(t[i + 1]) << 8 : Int(t[i]) << 8 | Int(t[i + 1]) }
        func u32(_ i: Int) -> Int {
            little ? Int(t[i]) | Int(t[i + 1]) << 8 | Int(t[i + 2]) << 16 | Int(t[i + 3]) << 24
                   : Int(t[i]) << 24 | Int(t[i + 1]) << 16 | Int(t[i + 2]) << 8 | Int(t[i + 3])
        }
        guard u16(2) == 42 else { return nil }
        let ifd = u32(4)
        guard ifd >= 8, ifd <= t.count - 2 else { return nil }
        let count = u16(ifd)
        for e in 0..<count {
            let entry = ifd + 2 + e * 12
            guard entry + 12 <= t.count else { return nil }
            guard u16(entry) == 0x0112 else { continue }
            let type = u16(entry + 2), n = u32(entry + 4)
            guard n >= 1 else { return nil }
            let value: Int
            switch type {
            case 3: value = u16(entry + 8)    // SHORT (the standard type)
            case 4: value = u32(entry + 8)    // LONG (seen in some writers)
            default: return nil
            }
            return (1...8).contains(value) ? value : nil
        }
        return nil
    }
}
