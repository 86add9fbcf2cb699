import CImageCodecs
import Foundation

/// A segmentation label map: one class index per pixel (`UInt8`, row-major, top to bottom), read from a gray or
/// palette PNG without colour conversion — the palette index (Pascal VOC's `SegmentationClass` PNGs) or the
/// gray value (Cityscapes-style `labelIds`, ADE20K) is the class.
public struct LabelMap: Sendable, Equatable {
    public let width: Int, height: Int
    public let labels: [UInt8]

    public init(width: Int, height: Int, labels: [UInt8]) {
        precondition(labels.count == width * height)
        self.width = width; self.height = height; self.labels = labels
    }

    /// Decodes a gray or palette PNG (1/2/4/8-bit); RGB, alpha and 16-bit PNGs and other formats are refused with
    /// an `ImageError` naming `name`. The pixel limit applies before allocation.
    public static func decode(_ data: Data, name: String, maxPixels: Int = DecodeOptions().maxPixels) throws -> LabelMap {
        try data.withUnsafeBytes { raw -> LabelMap in
            let b = UnsafeRawBufferPointer(raw)
            let format = try ImageDecoder.sniff(b, name: name)
            guard format == .png else {
                throw ImageError(file: name, .corrupt("a label map must be a PNG (gray or palette), this is \(format.rawValue.uppercased())"))
            }
            let (w, h) = try ImageDecoder.header(b, format: .png, name: name)
            guard w <= maxPixels / h, w * h <= maxPixels else { throw ImageError(file: name, .tooLarge(width: w, height: h, limit: maxPixels)) }
            var status: Int32 = 0
            var message = [CChar](repeating: 0, count: 256)
            let labels = [UInt8](unsafeUninitializedCapacity: w * h) { buf, initialized in
                message.withUnsafeMutableBufferPointer { m in
                    status = vz_png_decode_labels(b.baseAddress!.assumingMemoryBound(to: UInt8.self), b.count, Int32(w), Int32(h),
                                                  buf.baseAddress, m.baseAddress, m.count)
                }
                initialized = status == Int32(VZ_OK.rawValue) ? w * h : 0
            }
            if status != Int32(VZ_OK.rawValue) { throw ImageDecoder.error(status, message, format: .png, name: name) }
            return LabelMap(width: w, height: h, labels: labels)
        }
    }
}
