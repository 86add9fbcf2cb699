import Foundation

/// DETR's 2-D sine position embedding (`PositionEmbeddingSine` of facebookresearch/detr, HF `DetrSinePositionEmbedding`):
/// for each valid cell, `y = Σ mask` down the column and `x = Σ mask` along the row (cumulative sums from 1); with
/// `normalize` they are divided by the last value of their column/row (+1e-6) and multiplied by `scale` (2π);
/// channel `2i` is `sin(y / T^(2i/F))`, `2i+1` is `cos(y / T^(2i/F))` for the first `F = numPosFeats` channels, then
/// the same of `x` for the next `F` (T = temperature, 10000).
///
/// Mask `B, H, W` bytes (non-zero = valid pixel, the HF `pixel_mask` convention); output `B, H·W, 2F` token-major
/// (the layout HF's `flatten(2).transpose(1, 2)` gives). Float32 arithmetic, in the reference's order.
public struct PositionEmbeddingSine {
    public let numPosFeats: Int
    public var temperature: Float
    public var normalize: Bool
    public var scale: Float

    public init(numPosFeats: Int, temperature: Float = 10000, normalize: Bool = true, scale: Float = 2 * .pi) {
        self.numPosFeats = numPosFeats; self.temperature = temperature; self.normalize = normalize; self.scale = scale
    }

    /// Writes the embedding of `batch × height × width` cells with validity `mask` (nil: all valid) into `out`
    /// (`batch · height · width · 2F` floats).
    public func embed(batch: Int, height: Int, width: Int, mask: UnsafePointer<UInt8>?, into out: UnsafeMutablePointer<Float>) {
        let f = numPosFeats, c = 2 * f
        var dimT = [Float](repeating: 0, count: f)
        for i in 0..<f { dimT[i] = Foundation.pow(temperature, Float(2 * (i / 2)) / Float(f)) }
        var yEmbed = [Float](repeating: 0, count: height * width), xEmbed = yEmbed
        for b in 0..<batch {
            let m = mask.map { $0 + b * height * width }
            for y in 0..<height { for x in 0..<width {
                let valid: Float = (m.map { $0[y * width + x] != 0 } ?? true) ? 1 : 0
                yEmbed[y * width + x] = (y > 0 ? yEmbed[(y - 1) * width + x] : 0) + valid
                xEmbed[y * width + x] = (x > 0 ? xEmbed[y * width + x - 1] : 0) + valid
            } }
            if normalize {
                let eps: Float = 1e-6
                for y in 0..<height { for x in 0..<width {
                    yEmbed[y * width + x] = yEmbed[y * width + x] / (yEmbed[(height - 1) * width + x] + eps) * scale
                } }
                for y in 0..<height {
                    let last = xEmbed[y * width + width - 1]
                    for x in 0..<width { xEmbed[y * width + x] = xEmbed[y * width + x] / (last + eps) * scale }
                }
            }
            for p in 0..<(height * width) {
                let dst = out + (b * height * width + p) * c
                for i in 0..<f {
                    let vy = yEmbed[p] / dimT[i], vx = xEmbed[p] / dimT[i]
                    dst[i] = i % 2 == 0 ? Foundation.sin(vy) : Foundation.cos(vy)
                    dst[f + i] = i % 2 == 0 ? Foundation.sin(vx) : Foundation.cos(vx)
                }
            }
        }
    }
}
