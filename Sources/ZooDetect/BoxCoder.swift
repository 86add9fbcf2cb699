import Foundation

/// The R-CNN box parameterisation: `(dx, dy, dw, dh)` deltas of a box relative to a reference box.
///
/// Port of torchvision `models/detection/_utils.py` `BoxCoder.decode_single`, Float32, same operation order:
/// `w = x2 − x1`, `cx = x1 + 0.5·w`; `dx = code / wx` …; `dw, dh` clamped above at `bboxXformClip`;
/// centre `dx·w + cx`, size `exp(dw)·w`, corners centre ∓ `0.5·size`.
public struct BoxCoder: Sendable {
    /// `(wx, wy, ww, wh)`: deltas are divided by these.
    public var weights: (Float, Float, Float, Float)
    /// Largest `dw`/`dh` before `exp` (`log(1000 / 16)`: no box grows more than 62.5× its reference).
    public var bboxXformClip: Float

    public init(weights: (Float, Float, Float, Float), bboxXformClip: Float = Float(Foundation.log(1000.0 / 16.0))) {
        self.weights = weights; self.bboxXformClip = bboxXformClip
    }

    /// The RPN's coder (weights 1, 1, 1, 1).
    public static let rpn = BoxCoder(weights: (1, 1, 1, 1))
    /// The Fast R-CNN box head's coder (weights 10, 10, 5, 5).
    public static let roiHeads = BoxCoder(weights: (10, 10, 5, 5))

    /// The box `code` (`[dx, dy, dw, dh]` at `code[0..<4]`) applied to `reference`.
    @inline(__always)
    public func decode(_ code: UnsafePointer<Float>, relativeTo reference: Box) -> Box {
        let w = reference.x2 - reference.x1, h = reference.y2 - reference.y1
        let cx = reference.x1 + 0.5 * w, cy = reference.y1 + 0.5 * h
        let dx = code[0] / weights.0, dy = code[1] / weights.1
        // torch.clamp(max:) passes NaN through; Swift.min would not.
        var dw = code[2] / weights.2, dh = code[3] / weights.3
        if dw > bboxXformClip { dw = bboxXformClip }
        if dh > bboxXformClip { dh = bboxXformClip }
        let pcx = dx * w + cx, pcy = dy * h + cy
        let pw = Foundation.exp(dw) * w, ph = Foundation.exp(dh) * h
        let hw = 0.5 * pw, hh = 0.5 * ph
        return Box(x1: pcx - hw, y1: pcy - hh, x2: pcx + hw, y2: pcy + hh)
    }

    /// Array form of `decode(_:relativeTo:)`.
    public func decode(_ code: [Float], relativeTo reference: Box) -> Box {
        code.withUnsafeBufferPointer { decode($0.baseAddress!, relativeTo: reference) }
    }
}

/// Box codings of dense heads (the anchor-free and SSD-style decoders): raw regression values → box corners
/// (pixels unless stated). Static: they need no weights.
extension BoxCoder {
    /// FCOS / GFL / SCRFD `distance2bbox`: the box whose left, top, right and bottom sides lie `l, t, r, b` from
    /// the anchor point `(x, y)`.
    @inline(__always)
    public static func fromDistances(x: Float, y: Float, _ l: Float, _ t: Float, _ r: Float, _ b: Float) -> Box {
        Box(x1: x - l, y1: y - t, x2: x + r, y2: y + b)
    }

    /// torchvision `BoxLinearCoder.decode` (FCOS): the box whose sides lie `l, t, r, b` from the reference box's
    /// centre, in units of its width/height when `normalizedBySize` (`l · w` …), same Float32 operation order.
    @inline(__always)
    public static func linear(_ l: Float, _ t: Float, _ r: Float, _ b: Float, relativeTo ref: Box,
                              normalizedBySize: Bool = true) -> Box {
        let cx = 0.5 * (ref.x1 + ref.x2), cy = 0.5 * (ref.y1 + ref.y2)
        var l = l, t = t, rr = r, b = b
        if normalizedBySize {
            let w = ref.x2 - ref.x1, h = ref.y2 - ref.y1
            l *= w; t *= h; rr *= w; b *= h
        }
        return Box(x1: cx - l, y1: cy - t, x2: cx + rr, y2: cy + b)
    }

    /// SSD `decode` (Pytorch_Retinaface `utils/box_utils.py`) with variances `(v0, v1)`: centre
    /// `prior.c + d.c · v0 · prior.size`, size `prior.size · exp(d.size · v1)`; corners `(x1, y1, x1 + w, y1 + h)`.
    /// Units are the prior's (relative to the input for RetinaFace).
    @inline(__always)
    public static func fromPrior(cx pcx: Float, cy pcy: Float, width pw: Float, height ph: Float,
                                 _ dx: Float, _ dy: Float, _ dw: Float, _ dh: Float, variances v: (Float, Float)) -> Box {
        let cx = pcx + dx * v.0 * pw, cy = pcy + dy * v.0 * ph
        let w = pw * Foundation.exp(dw * v.1), h = ph * Foundation.exp(dh * v.1)
        let x1 = cx - w / 2, y1 = cy - h / 2
        return Box(x1: x1, y1: y1, x2: x1 + w, y2: y1 + h)
    }
}
