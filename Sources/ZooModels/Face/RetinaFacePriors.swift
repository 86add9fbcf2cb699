/// RetinaFace prior boxes. Port of Pytorch_Retinaface `layers/functions/prior_box.py` (`PriorBox`, clip off):
/// for each level (step 8, 16, 32; min sizes 16/32, 64/128, 256/512), each cell row-major, each min size:
/// centre `((j + 0.5)·step / W, (i + 0.5)·step / H)`, size `(min / W, min / H)`, all relative to the input.
public enum RetinaFacePriors {
    /// `[K · 4]` floats: cx, cy, w, h per prior, for an input of `width × height`.
    public static func make(width: Int, height: Int) -> [Float] {
        var out: [Float] = []
        for (k, step) in RetinaFace.steps.enumerated() {
            let rows = (height + step - 1) / step, cols = (width + step - 1) / step
            for i in 0..<rows {
                for j in 0..<cols {
                    for m in RetinaFace.minSizes[k] {
                        out += [(Float(j) + 0.5) * Float(step) / Float(width), (Float(i) + 0.5) * Float(step) / Float(height),
                                m / Float(width), m / Float(height)]
                    }
                }
            }
        }
        return out
    }
}
