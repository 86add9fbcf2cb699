/// RoIAlign (He et al. 2017, Mask R-CNN): average of bilinear samples on a regular grid in each output bin.
///
/// Port of torchvision's CPU kernel `torchvision/csrc/ops/cpu/roi_align_kernel.cpp` (`roi_align_forward_kernel_impl`,
/// `pre_calc_for_bilinear_interpolate`), arithmetic in Float32 in the same order, so that it matches
/// `torchvision.ops.roi_align(input, boxes, output_size, spatial_scale, sampling_ratio, aligned)` to rounding.
/// The bilinear weights of a box are computed once per sample position and shared by every channel (the
/// kernel's pre-calculation); `RoIAlignReference` is the naive per-element formula it is tested against.
public struct RoIAlign: Sendable {
    /// Output bins per box (`output_size`).
    public var outputHeight: Int, outputWidth: Int
    /// Feature-map pixels per input pixel (1 / stride).
    public var spatialScale: Float
    /// Samples per bin side; ≤ 0 = adaptive, `ceil(roi_size / output_size)` (torchvision's −1).
    public var samplingRatio: Int
    /// `true`: pixel centres at +0.5 (continuous coordinates, boxes shifted by −0.5); `false`: the original
    /// Mask R-CNN convention (what torchvision's detection models use), boxes at least 1×1 feature pixel.
    public var aligned: Bool

    public init(outputHeight: Int, outputWidth: Int, spatialScale: Float, samplingRatio: Int, aligned: Bool) {
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
        self.spatialScale = spatialScale; self.samplingRatio = samplingRatio; self.aligned = aligned
    }

    /// One bilinear sample: four feature-map offsets and their weights (all zero outside the map).
    @usableFromInline struct Sample { var o1, o2, o3, o4: Int32; var w1, w2, w3, w4: Float }

    /// Pools `boxes` (`[x1, y1, x2, y2]` in input pixels) from `features` (`C, H, W`, row-major) into `out`
    /// (`boxes.count, C, outputHeight, outputWidth`).
    public func callAsFunction(features: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                               boxes: [Box], into out: UnsafeMutablePointer<Float>) {
        let ph = outputHeight, pw = outputWidth, bins = ph * pw
        var samples: [Sample] = []
        for (k, box) in boxes.enumerated() {
            let g = geometry(box)
            let count = Float(Swift.max(g.gridH * g.gridW, 1))
            samples.removeAll(keepingCapacity: true)
            for p in 0..<ph {
                for q in 0..<pw {
                    for iy in 0..<g.gridH {
                        let yy = g.startY + Float(p) * g.binH + (Float(iy) + 0.5) * g.binH / Float(g.gridH)
                        for ix in 0..<g.gridW {
                            let xx = g.startX + Float(q) * g.binW + (Float(ix) + 0.5) * g.binW / Float(g.gridW)
                            samples.append(Self.sample(y: yy, x: xx, height: height, width: width))
                        }
                    }
                }
            }
            let perBin = g.gridH * g.gridW
            samples.withUnsafeBufferPointer { s in
                for c in 0..<channels {
                    let plane = features + c * height * width
                    let dst = out + (k * channels + c) * bins
                    var si = 0
                    for b in 0..<bins {
                        var v: Float = 0
                        for _ in 0..<perBin {
                            let t = s[si]; si += 1
                            v += t.w1 * plane[Int(t.o1)] + t.w2 * plane[Int(t.o2)] + t.w3 * plane[Int(t.o3)] + t.w4 * plane[Int(t.o4)]
                        }
                        dst[b] = v / count
                    }
                }
            }
        }
    }

    /// The box on the feature map: start, bin size and sampling grid (the kernel's per-RoI prologue).
    struct Geometry { var startX, startY, binW, binH: Float; var gridW, gridH: Int }

    func geometry(_ box: Box) -> Geometry {
        let offset: Float = aligned ? 0.5 : 0
        let sx = box.x1 * spatialScale - offset, sy = box.y1 * spatialScale - offset
        let ex = box.x2 * spatialScale - offset, ey = box.y2 * spatialScale - offset
        var rw = ex - sx, rh = ey - sy
        if !aligned { rw = Swift.max(rw, 1); rh = Swift.max(rh, 1) }
        let binH = rh / Float(outputHeight), binW = rw / Float(outputWidth)
        // Adaptive grid: ceil(roi / bins). A NaN or absurdly large box (not a clipped proposal) gets a grid of
        // at most 1024 per side, where torchvision would try to allocate without bound.
        func grid(_ r: Float, _ n: Int) -> Int {
            if samplingRatio > 0 { return samplingRatio }
            let v = (r / Float(n)).rounded(.up)
            return v.isFinite ? Int(Swift.min(Swift.max(v, 0), 1024)) : 0
        }
        return Geometry(startX: sx, startY: sy, binW: binW, binH: binH,
                        gridW: grid(rw, outputWidth), gridH: grid(rh, outputHeight))
    }

    /// Bilinear weights at (y, x) exactly as `pre_calc_for_bilinear_interpolate`.
    @inline(__always) static func sample(y yy: Float, x xx: Float, height: Int, width: Int) -> Sample {
        var y = yy, x = xx
        if !(y >= -1 && y <= Float(height) && x >= -1 && x <= Float(width)) {
            return Sample(o1: 0, o2: 0, o3: 0, o4: 0, w1: 0, w2: 0, w3: 0, w4: 0)
        }
        if y <= 0 { y = 0 }
        if x <= 0 { x = 0 }
        var yl = Int(y), xl = Int(x), yh: Int, xh: Int
        if yl >= height - 1 { yl = height - 1; yh = yl; y = Float(yl) } else { yh = yl + 1 }
        if xl >= width - 1 { xl = width - 1; xh = xl; x = Float(xl) } else { xh = xl + 1 }
        let ly = y - Float(yl), lx = x - Float(xl), hy = 1 - ly, hx = 1 - lx
        return Sample(o1: Int32(yl * width + xl), o2: Int32(yl * width + xh), o3: Int32(yh * width + xl), o4: Int32(yh * width + xh),
                      w1: hy * hx, w2: hy * lx, w3: ly * hx, w4: ly * lx)
    }
}

/// The naive RoIAlign: for every output element, its grid of samples, each interpolated from scratch.
public enum RoIAlignReference {
    public static func pool(_ op: RoIAlign, features: [Float], channels: Int, height: Int, width: Int, boxes: [Box]) -> [Float] {
        var out: [Float] = []
        for box in boxes {
            let g = op.geometry(box)
            for c in 0..<channels {
                for p in 0..<op.outputHeight {
                    for q in 0..<op.outputWidth {
                        var v: Float = 0
                        for iy in 0..<g.gridH {
                            for ix in 0..<g.gridW {
                                let y = g.startY + Float(p) * g.binH + (Float(iy) + 0.5) * g.binH / Float(g.gridH)
                                let x = g.startX + Float(q) * g.binW + (Float(ix) + 0.5) * g.binW / Float(g.gridW)
                                v += bilinear(features, c: c, height: height, width: width, y: y, x: x)
                            }
                        }
                        out.append(v / Float(Swift.max(g.gridH * g.gridW, 1)))
                    }
                }
            }
        }
        return out
    }

    /// torchvision's `bilinear_interpolate`: 0 outside [−1, size], edges clamped.
    static func bilinear(_ f: [Float], c: Int, height: Int, width: Int, y yy: Float, x xx: Float) -> Float {
        if !(yy >= -1 && yy <= Float(height) && xx >= -1 && xx <= Float(width)) { return 0 }
        let y = Swift.max(yy, 0), x = Swift.max(xx, 0)
        let y0 = Swift.min(Int(y), height - 1), x0 = Swift.min(Int(x), width - 1)
        let y1 = Swift.min(y0 + 1, height - 1), x1 = Swift.min(x0 + 1, width - 1)
        let ly = Int(y) >= height - 1 ? 0 : y - Float(y0), lx = Int(x) >= width - 1 ? 0 : x - Float(x0)
        let at = { (yi: Int, xi: Int) in f[(c * height + yi) * width + xi] }
        return (1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x1) + ly * (1 - lx) * at(y1, x0) + ly * lx * at(y1, x1)
    }
}
