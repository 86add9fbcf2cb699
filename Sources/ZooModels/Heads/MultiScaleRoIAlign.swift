import Foundation
import ZooDetect
import ZooNN

/// torchvision's `MultiScaleRoIAlign`: each box is pooled from one pyramid level chosen by its size
/// (`LevelMapper`: `k = ⌊4 + log2(√area / 224) + 1e-6⌋` clamped to the levels present, FPN paper eq. 1), with
/// `RoIAlign` at that level's scale (`2^round(log2(feature height / image height))`).
/// Input: the levels `1, C, H_l, W_l` (the FPN's "0" … "3", not "pool"); output `K, C, size, size`.
/// Port of torchvision `ops/poolers.py`.
public struct MultiScaleRoIAlign {
    public var outputSize = 7, samplingRatio = 2
    public var canonicalScale: Float = 224, canonicalLevel: Float = 4

    public init(outputSize: Int = 7, samplingRatio: Int = 2) {
        self.outputSize = outputSize; self.samplingRatio = samplingRatio
    }

    /// The feature scale of a level: `2^round(log2(featureHeight / imageHeight))`.
    static func scale(featureHeight: Int, imageHeight: Int) -> Float {
        Float(Foundation.pow(2.0, (Foundation.log2(Double(featureHeight) / Double(imageHeight))).rounded()))
    }

    /// Level index (0-based among `levels`) of each box.
    func levels(_ boxes: [Box], scales: [Float]) -> [Int] {
        let kMin = -Foundation.log2(scales.first!).rounded(), kMax = -Foundation.log2(scales.last!).rounded()
        return boxes.map { b in
            let s = ((b.x2 - b.x1) * (b.y2 - b.y1)).squareRoot()
            var k = (canonicalLevel + Foundation.log2(s / canonicalScale) + 1e-6).rounded(.down)
            if !(k >= kMin) { k = kMin }   // NaN (degenerate box) included, as torch.clamp of a NaN level indexes level 0
            if k > kMax { k = kMax }
            return Int(k - kMin)
        }
    }

    /// Pools `boxes` into `into` (`boxes.count, C, outputSize, outputSize`).
    public func callAsFunction(_ features: [Tensor], boxes: [Box], imageHeight: Int, imageWidth: Int, into out: Tensor) {
        let scales = features.map { Self.scale(featureHeight: $0.shape[2], imageHeight: imageHeight) }
        let lv = levels(boxes, scales: scales)
        let c = features[0].shape[1], per = c * outputSize * outputSize
        for (l, f) in features.enumerated() {
            let op = RoIAlign(outputHeight: outputSize, outputWidth: outputSize, spatialScale: scales[l],
                              samplingRatio: samplingRatio, aligned: false)
            let idx = lv.indices.filter { lv[$0] == l }
            guard !idx.isEmpty else { continue }
            let sub = idx.map { boxes[$0] }
            var tmp = [Float](repeating: 0, count: sub.count * per)
            tmp.withUnsafeMutableBufferPointer { t in
                op(features: f.pointer, channels: c, height: f.shape[2], width: f.shape[3], boxes: sub, into: t.baseAddress!)
                for (j, i) in idx.enumerated() { (out.pointer + i * per).update(from: t.baseAddress! + j * per, count: per) }
            }
        }
    }
}
