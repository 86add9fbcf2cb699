import Foundation

/// Windows bitmap (BMP) decoding to RGB8, in Swift (no library: the format is a header and raw rows).
///
/// Supported: `BITMAPCOREHEADER` (12 bytes) and `BITMAPINFOHEADER` and its V2–V5 extensions (40–124 bytes);
/// 1/2/4/8-bit palettes, 16-bit (5-5-5 by default), 24-bit BGR and 32-bit BGRX, `BI_BITFIELDS` /
/// `BI_ALPHABITFIELDS` masks (each channel scaled to 8 bits as `v · 255 / max`, Pillow's arithmetic);
/// bottom-up and top-down (negative height) rows, each padded to 4 bytes. Alpha in 32-bit files is ignored, as
/// Pillow's `convert("RGB")` does (in most BMPs it is undefined). RLE-compressed, JPEG/PNG-in-BMP and OS/2
/// 2.x bitmaps are refused as unsupported variants, never guessed.
///
/// Safety: every size comes from the header and is checked against the data before it is used; the pixel limit
/// applies before any pixel memory is allocated (the caller checks `header` first).
enum BMPDecoder {
    /// What the header declares.
    struct Header {
        var width: Int, height: Int
        var topDown: Bool
        var bitsPerPixel: Int
        var compression: UInt32
        var pixelOffset: Int
        /// Palette entries as (r, g, b).
        var palette: [(UInt8, UInt8, UInt8)]
        /// Channel masks for 16/32-bit pixels (r, g, b).
        var masks: (UInt32, UInt32, UInt32)
    }

    static let signature: [UInt8] = [0x42, 0x4D]   // "BM"

    static func u16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 { UInt32(b[o]) | UInt32(b[o + 1]) << 8 }
    static func u32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    /// Parses the file and DIB headers (and palette / masks); throws `ImageError` naming `name`.
    static func header(_ b: UnsafeRawBufferPointer, name: String) throws -> Header {
        func corrupt(_ why: String) -> ImageError { ImageError(file: name, .corrupt("BMP: \(why)")) }
        func unsupported(_ why: String) -> ImageError { ImageError(file: name, .corrupt("unsupported variant: BMP: \(why)")) }
        guard b.count >= 26 else { throw ImageError(file: name, .truncated) }
        let pixelOffset = Int(u32(b, 10))
        let dibSize = Int(u32(b, 14))
        guard b.count >= 14 + min(dibSize, 40) else { throw ImageError(file: name, .truncated) }
        var width = 0, height = 0, bpp = 0, compression: UInt32 = 0, colorsUsed = 0, topDown = false
        let paletteEntryBytes: Int
        switch dibSize {
        case 12:
            width = Int(u16(b, 18)); height = Int(u16(b, 20))
            guard u16(b, 22) == 1 else { throw corrupt("planes must be 1") }
            bpp = Int(u16(b, 24))
            paletteEntryBytes = 3
        case 40, 52, 56, 108, 124:
            let w = Int32(bitPattern: u32(b, 18)), h = Int32(bitPattern: u32(b, 22))
            guard w > 0, h != Int32.min else { throw w == 0 || h == 0 ? ImageError(file: name, .zeroSize) : corrupt("width \(w)") }
            width = Int(w); height = Int(h.magnitude); topDown = h < 0
            guard u16(b, 26) == 1 else { throw corrupt("planes must be 1") }
            bpp = Int(u16(b, 28)); compression = u32(b, 30)
            colorsUsed = Int(u32(b, 46))
            paletteEntryBytes = 4
        case 64: throw unsupported("OS/2 2.x header")
        default: throw corrupt("unknown header size \(dibSize)")
        }
        guard width > 0, height > 0 else { throw ImageError(file: name, .zeroSize) }
        guard [1, 2, 4, 8, 16, 24, 32].contains(bpp) else { throw corrupt("\(bpp) bits per pixel") }
        switch compression {
        case 0: break                                  // BI_RGB
        case 3, 6: guard bpp == 16 || bpp == 32 else { throw corrupt("bit fields with \(bpp) bits per pixel") }
        case 1, 2: throw unsupported("RLE-compressed")
        case 4, 5: throw unsupported("embedded JPEG/PNG")
        default: throw corrupt("compression \(compression)")
        }
        // Masks: defaults, then from the header (V2+) or the 12/16 bytes after a 40-byte header.
        var masks: (UInt32, UInt32, UInt32) = bpp == 16 ? (0x7C00, 0x03E0, 0x001F) : (0xFF0000, 0x00FF00, 0x0000FF)
        var afterHeader = 14 + dibSize
        if compression == 3 || compression == 6 {
            let at = dibSize >= 52 ? 54 : afterHeader
            guard b.count >= at + 12 else { throw ImageError(file: name, .truncated) }
            masks = (u32(b, at), u32(b, at + 4), u32(b, at + 8))
            if dibSize == 40 { afterHeader += compression == 6 ? 16 : 12 }
            guard masks.0 != 0, masks.1 != 0, masks.2 != 0 else { throw corrupt("zero channel mask") }
        }
        var palette: [(UInt8, UInt8, UInt8)] = []
        if bpp <= 8 {
            let maxColors = 1 << bpp
            let count = colorsUsed == 0 ? maxColors : colorsUsed
            guard count <= maxColors else { throw corrupt("\(count) palette colours for \(bpp) bits per pixel") }
            let end = afterHeader + count * paletteEntryBytes
            guard end <= b.count, end <= max(pixelOffset, end) else { throw ImageError(file: name, .truncated) }
            palette.reserveCapacity(maxColors)
            for i in 0..<count {
                let o = afterHeader + i * paletteEntryBytes
                palette.append((b[o + 2], b[o + 1], b[o]))
            }
            // Indices beyond the stored palette read as black (as Pillow pads it).
            while palette.count < maxColors { palette.append((0, 0, 0)) }
        }
        guard pixelOffset >= 14 + 12, pixelOffset <= b.count else { throw ImageError(file: name, .truncated) }
        return Header(width: width, height: height, topDown: topDown, bitsPerPixel: bpp, compression: compression,
                      pixelOffset: pixelOffset, palette: palette, masks: masks)
    }

    /// Decodes into `rgb` (width × height × 3 bytes, rows top to bottom).
    static func decode(_ b: UnsafeRawBufferPointer, header h: Header, into rgb: UnsafeMutableBufferPointer<UInt8>, name: String) throws {
        let rowBytes = ((h.width * h.bitsPerPixel + 31) / 32) * 4
        let (needed, overflow) = rowBytes.multipliedReportingOverflow(by: h.height)
        guard !overflow, h.pixelOffset + needed <= b.count else { throw ImageError(file: name, .truncated) }
        let channels = [h.masks.0, h.masks.1, h.masks.2].map { m -> (mask: UInt32, shift: UInt32, max: UInt32) in
            let shift = UInt32(m.trailingZeroBitCount)
            return (m, shift, m >> shift)
        }
        for y in 0..<h.height {
            let src = h.pixelOffset + (h.topDown ? y : h.height - 1 - y) * rowBytes
            var o = y * h.width * 3
            switch h.bitsPerPixel {
            case 24:
                for x in 0..<h.width {
                    let p = src + x * 3
                    rgb[o] = b[p + 2]; rgb[o + 1] = b[p + 1]; rgb[o + 2] = b[p]; o += 3
                }
            case 32 where h.compression == 0:
                for x in 0..<h.width {
                    let p = src + x * 4
                    rgb[o] = b[p + 2]; rgb[o + 1] = b[p + 1]; rgb[o + 2] = b[p]; o += 3
                }
            case 16, 32:
                let bytes = h.bitsPerPixel / 8
                for x in 0..<h.width {
                    let v = bytes == 2 ? u16(b, src + x * 2) : u32(b, src + x * 4)
                    for c in channels {
                        let raw = (v & c.mask) >> c.shift
                        rgb[o] = c.max == 255 ? UInt8(raw) : UInt8(UInt64(raw) * 255 / UInt64(c.max)); o += 1
                    }
                }
            default:   // 1, 2, 4, 8: palette indices, most significant bits first
                let bpp = h.bitsPerPixel, perByte = 8 / bpp, mask = UInt8((1 << bpp) - 1)
                for x in 0..<h.width {
                    let byte = b[src + x / perByte]
                    let index = Int((byte >> UInt8(8 - bpp * (x % perByte + 1))) & mask)
                    let c = h.palette[index]
                    rgb[o] = c.0; rgb[o + 1] = c.1; rgb[o + 2] = c.2; o += 3
                }
            }
        }
    }
}
