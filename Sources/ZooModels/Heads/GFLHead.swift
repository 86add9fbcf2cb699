import Foundation
import ZooDetect
import ZooNN

/// NanoDet's GFL head (Generalized Focal Loss, Li et al. 2020), classification and regression sharing one branch:
/// per level, two depthwise-separable 3×3 convs (`cls_convs.{l}.{k}`: depthwise + 1×1, LeakyReLU 0.1) then
/// `gfl_cls.{l}` (1×1) to `C + 4·(regMax + 1)` channels.
///
/// Raw outputs, as the ONNX export names them: per level `[N, H·W, C]` sigmoid class scores, then per level
/// `[N, H·W, 4·(regMax + 1)]` distance logits (left, top, right, bottom). Decoding: softmax over each side's bins,
/// expectation × stride = distance from the centre `((x + 0.5)·s, (y + 0.5)·s)`; every class above the confidence is
/// a candidate (multi-label, as NanoDet's `multiclass_nms`); class-aware NMS.
/// Port of NanoDet `nanodet/model/head/nanodet_head.py` + `gfl_head.py` (`Integral`, `distance2bbox`).
public final class GFLHead: DetectionHead {
    public struct Level {
        public let convs: [(dw: Conv2d, pw: Conv2d)]
        public let gfl: Conv2d
    }
    public let levels: [Level]
    public let strides: [Int]
    public let classes: Int
    public let regMax: Int
    public let postprocessing = Postprocessing.nms(classAware: true)
    public let rawOutputNames: [String]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], classes: Int, regMax: Int = 7, convs: Int = 2,
                rawOutputNames: [String], path: String = "head") throws {
        levels = try inputs.enumerated().map { l, spec in
            let c = spec.channels
            let convs = try (0..<convs).map { k in
                (try w.conv2d("\(path).cls_convs.\(l).\(k).depthwise", in: c, out: c, kernel: 3, padding: 1, groups: c, activation: .leaky(0.1)),
                 try w.conv2d("\(path).cls_convs.\(l).\(k).pointwise", in: c, out: c, kernel: 1, activation: .leaky(0.1)))
            }
            return Level(convs: convs, gfl: try w.conv2d("\(path).gfl_cls.\(l)", in: c, out: classes + 4 * (regMax + 1), kernel: 1))
        }
        strides = inputs.map(\.stride)
        self.classes = classes; self.regMax = regMax; self.rawOutputNames = rawOutputNames
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        var scores: [Tensor] = [], boxes: [Tensor] = []
        let bins = 4 * (regMax + 1)
        for (l, x) in zip(levels, features) {
            var h = x
            for c in l.convs { h = ctx(c.pw, ctx(c.dw, h)) }
            let y = ctx(l.gfl, h)
            let n = y.shape[0], hw = y.shape[2] * y.shape[3]
            let cls = ctx.arena.tensor([n, hw, classes]), reg = ctx.arena.tensor([n, hw, bins])
            for b in 0..<n {
                let src = y.pointer + b * (classes + bins) * hw
                for ch in 0..<classes {
                    let plane = src + ch * hw, dst = cls.pointer + b * hw * classes + ch
                    for i in 0..<hw { dst[i * classes] = 1 / (1 + exp(-plane[i])) }
                }
                for ch in 0..<bins {
                    let plane = src + (classes + ch) * hw, dst = reg.pointer + b * hw * bins + ch
                    for i in 0..<hw { dst[i * bins] = plane[i] }
                }
            }
            if let t = ctx.arena.trace { t.setField(t.field(of: y), of: cls); t.setField(t.field(of: y), of: reg) }
            scores.append(cls); boxes.append(reg)
        }
        return scores + boxes
    }

    public func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector) {
        let n = strides.count, bins = regMax + 1
        for (l, s) in strides.enumerated() {
            let cls = raw[l].pointer, reg = raw[n + l].pointer
            let gw = (inputWidth + s - 1) / s, gh = (inputHeight + s - 1) / s
            precondition(raw[l].shape[1] == gw * gh, "GFLHead: level \(l) has \(raw[l].shape[1]) cells, expected \(gw * gh)")
            for y in 0..<gh {
                for x in 0..<gw {
                    let cell = y * gw + x
                    let c = cls + cell * classes
                    var any = false
                    for k in 0..<classes where collector.accepts(score: c[k], classID: k) { any = true; break }
                    guard any else { continue }
                    // Integral: expectation of the softmax over each side's bins, × stride.
                    var d = (Float(0), Float(0), Float(0), Float(0))
                    let r = reg + cell * 4 * bins
                    for side in 0..<4 {
                        let v = r + side * bins
                        var m = v[0]
                        for i in 1..<bins { m = max(m, v[i]) }
                        var sum: Float = 0, e: Float = 0
                        for i in 0..<bins { let p = exp(v[i] - m); sum += p; e += p * Float(i) }
                        let dist = e / sum * Float(s)
                        switch side { case 0: d.0 = dist; case 1: d.1 = dist; case 2: d.2 = dist; default: d.3 = dist }
                    }
                    let cx = (Float(x) + 0.5) * Float(s), cy = (Float(y) + 0.5) * Float(s)
                    let b = BoxCoder.fromDistances(x: cx, y: cy, d.0, d.1, d.2, d.3)   // distance2bbox, clamped
                    let box = Box(x1: max(0, b.x1), y1: max(0, b.y1), x2: min(Float(inputWidth), b.x2), y2: min(Float(inputHeight), b.y2))
                    collector.offerClasses(scores: c, count: classes) { box }
                }
            }
        }
    }
}
