import Foundation
import ZooDetect
import ZooNN

/// YOLOX's decoupled anchor-free head. Per level (strides 8, 16, 32): a 1 × 1 `stem` to `256 × width`
/// channels, then a classification branch (two 3 × 3 convs, `cls_preds` with a sigmoid) and a regression
/// branch (two 3 × 3 convs, `reg_preds` and `obj_preds` with a sigmoid).
///
/// Raw output `output` `[N, Σ H_l·W_l, 5 + C]` (rows level by level, cells row-major; as the ONNX export with
/// `decode_in_inference=False`): `dx, dy, log w, log h` in stride units, then sigmoid objectness, then C
/// sigmoid class scores. Decoding (YOLOX `decode_outputs` + `postprocess`): centre `((i + dx)·s, (j + dy)·s)`,
/// size `(exp(log w)·s, exp(log h)·s)`, one candidate per cell with the best class, score `obj · cls`;
/// class-aware NMS. Port of YOLOX `yolox/models/yolo_head.py` `YOLOXHead` (module paths `head.*`).
public final class YOLOXHead: DetectionHead {
    public struct Level {
        public let stem: BaseConv
        public let clsConvs: [YOLOXConv], regConvs: [YOLOXConv]
        public let clsPred: Conv2d, regPred: Conv2d, objPred: Conv2d
    }
    public let levels: [Level]
    public let strides: [Int]
    public let classes: Int
    public let postprocessing = Postprocessing.nms(classAware: true)
    public let rawOutputNames = ["output"]

    /// Built from the neck's declared outputs; `width` sets the hidden channels (`256 × width`).
    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], classes: Int, width: Double,
                depthwise: Bool, path: String = "head") throws {
        let hidden = Int(256 * width)
        var levels: [Level] = []
        // The graph runs (and stores) each level's modules in forward order: stem, cls branch, reg branch.
        for (k, spec) in inputs.enumerated() {
            let stem = try BaseConv(&w, "\(path).stems.\(k)", in: spec.channels, out: hidden, kernel: 1)
            let cls = try (0..<2).map { try YOLOXConv(&w, "\(path).cls_convs.\(k).\($0)", in: hidden, out: hidden, kernel: 3, depthwise: depthwise) }
            let clsPred = try w.conv2d("\(path).cls_preds.\(k)", in: hidden, out: classes, kernel: 1, activation: .sigmoid)
            let reg = try (0..<2).map { try YOLOXConv(&w, "\(path).reg_convs.\(k).\($0)", in: hidden, out: hidden, kernel: 3, depthwise: depthwise) }
            let regPred = try w.conv2d("\(path).reg_preds.\(k)", in: hidden, out: 4, kernel: 1)
            let objPred = try w.conv2d("\(path).obj_preds.\(k)", in: hidden, out: 1, kernel: 1, activation: .sigmoid)
            levels.append(Level(stem: stem, clsConvs: cls, regConvs: reg, clsPred: clsPred, regPred: regPred, objPred: objPred))
        }
        self.levels = levels
        strides = inputs.map(\.stride)
        self.classes = classes
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        let n = features[0].shape[0], row = 5 + classes
        let rows = features.reduce(0) { $0 + $1.shape[2] * $1.shape[3] }
        var parts: [(Tensor, Tensor, Tensor)] = []
        parts.reserveCapacity(levels.count)
        for (l, x) in zip(levels, features) {
            let s = l.stem(x, ctx)
            var c = s, r = s
            for conv in l.clsConvs { c = conv(c, ctx) }
            for conv in l.regConvs { r = conv(r, ctx) }
            parts.append((ctx(l.regPred, r), ctx(l.objPred, r), ctx(l.clsPred, c)))
        }
        let out = ctx.arena.tensor([n, rows, row])
        if let trace = ctx.arena.trace {
            trace.setField(.merge(parts.flatMap { [trace.field(of: $0.0), trace.field(of: $0.2)] }), of: out)
        }
        // [N, 4 | 1 | C, H, W] per level → rows of [N, ΣHW, 5 + C] (the graph's Concat, Reshape, Concat, Transpose).
        let dst = out.pointer
        for b in 0..<n {
            var offset = 0
            for (reg, obj, cls) in parts {
                let hw = reg.shape[2] * reg.shape[3]
                let base = dst + (b * rows + offset) * row
                Self.interleave(reg, batch: b, into: base + 0, rowStride: row, cells: hw)
                Self.interleave(obj, batch: b, into: base + 4, rowStride: row, cells: hw)
                Self.interleave(cls, batch: b, into: base + 5, rowStride: row, cells: hw)
                offset += hw
            }
        }
        return [out]
    }

    /// Channel planes `[N, C, H·W]` of batch `b` → `C` consecutive values in each of `cells` rows.
    private static func interleave(_ x: Tensor, batch b: Int, into dst: UnsafeMutablePointer<Float>, rowStride: Int, cells: Int) {
        let count = x.shape[1], src = x.pointer + b * count * cells
        for ch in 0..<count {
            let plane = src + ch * cells
            for i in 0..<cells { dst[i * rowStride + ch] = plane[i] }
        }
    }

    public func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector) {
        let out = raw[0], row = 5 + classes
        precondition(out.rank == 3 && out.shape[2] == row, "YOLOXHead: raw output \(out.shape), expected [N, rows, \(row)]")
        let p = out.pointer
        let confidence = collector.confidence
        var r = 0
        for s in strides {
            let gh = inputHeight / s, gw = inputWidth / s, fs = Float(s)
            for j in 0..<gh {
                for i in 0..<gw {
                    let v = p + r * row
                    r += 1
                    let obj = v[4]
                    if !(obj > confidence) { continue }    // score = obj · cls ≤ obj
                    var best = 0
                    var bestScore = v[5]
                    for c in 1..<classes where v[5 + c] > bestScore { best = c; bestScore = v[5 + c] }
                    collector.offer(score: obj * bestScore, classID: best) {
                        Box(centerX: (v[0] + Float(i)) * fs, centerY: (v[1] + Float(j)) * fs,
                            width: exp(v[2]) * fs, height: exp(v[3]) * fs)
                    }
                }
            }
        }
        precondition(r == out.shape[1], "YOLOXHead: \(out.shape[1]) rows for a \(inputHeight)×\(inputWidth) input, expected \(r)")
    }
}
