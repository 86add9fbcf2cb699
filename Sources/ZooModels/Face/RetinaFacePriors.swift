import ZooDetect

/// RetinaFace prior boxes. Port of Pytorch_Retinaface `layers/functions/prior_box.py` (`PriorBox`, clip off):
/// for each level (step 8, 16, 32; min sizes 16/32, 64/128, 256/512), each cell row-major, each min size:
/// centre `((j + 0.5)·step / W, (i + 0.5)·step / H)`, size `(min / W, min / H)`, all relative to the input —
/// the priors `RetinaFaceHead.decode` computes on the fly over the same `AnchorGrid`.
public enum RetinaFacePriors {
    public static let steps = [8, 16, 32]
    public static let minSizes: [[Float]] = [[16, 32], [64, 128], [256, 512]]

    /// `[K · 4]` floats: cx, cy, w, h per prior, for an input of `width × height`.
    public static func make(width: Int, height: Int) -> [Float] {
        var out: [Float] = []
        let w = Float(width), h = Float(height)
        AnchorGrid(strides: steps, perCell: 2, inputHeight: height, inputWidth: width).forEach { level, l, i, j, a, _, _ in
            let s = Float(level.stride), m = minSizes[l][a]
            out += [(Float(j) + 0.5) * s / w, (Float(i) + 0.5) * s / h, m / w, m / h]
        }
        return out
    }
}
