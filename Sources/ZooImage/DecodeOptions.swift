/// Settings for `ImageDecoder`.
public struct DecodeOptions: Sendable {
    /// Images whose header declares more than this many pixels (width × height) are refused with
    /// `ImageError.Kind.tooLarge` before any pixel memory is allocated. Default: 100 megapixels.
    public var maxPixels: Int = 100_000_000
    /// Apply the EXIF orientation tag (JPEG APP1 Exif, PNG eXIf chunk), so the image is upright as viewers show it.
    public var applyEXIFOrientation = true
    /// Colour that transparent pixels are composited onto (PNG alpha, palette tRNS):
    /// `out = round((src·a + background·(255 − a)) / 255)` per channel. Default: white.
    public var background: (UInt8, UInt8, UInt8) = (255, 255, 255)
    /// Files larger than this are refused as `unreadable` before being read. Default: 1 GiB.
    public var maxFileBytes: Int = 1 << 30

    public init() {}

    /// Options with a different pixel limit (convenience).
    public init(maxPixels: Int) { self.maxPixels = maxPixels }
}
