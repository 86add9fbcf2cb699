import Foundation
import ZooDetect
import ZooNN

/// FastestDet's single-scale anchor-free head: a 1×1 conv (ReLU), then three branches of depthwise 5×5 (ReLU) +
/// 1×1: objectness (sigmoid), box (4 raw values), classes (softmax over the classes).
///
/// Raw output `758` `[N, 1 + 4 + C, H, W]` (H = W = 22 at 352). Decoding (FastestDet's runtime example):
/// score `obj^0.6 · max(cls)^0.4`, centre `((j + tanh(dx)) / W, (i + tanh(dy)) / H)`, size `(sigmoid(w), sigmoid(h))`
/// as fractions of the input; class-agnostic NMS. Port of dog-qiuqiu/FastestDet `module/custom_layers.py`
/// `DetectHead` (module paths `detect_head.*`).
public final class FastestDetHead: DetectionHead {
    public let conv1x1: Conv2d
    /// (depthwise 5×5, 1×1) of the obj, reg and cls branches.
    public let obj: (Conv2d, Conv2d), reg: (Conv2d, Conv2d), cls: (Conv2d, Conv2d)
    public let classes: Int
    public let postprocessing = Postprocessing.nms(classAware: false)
    public let rawOutputNames = ["758"]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], classes: Int, path: String = "detect_head") throws {
        let c = inputs[0].channels
        conv1x1 = try w.conv2d("\(path).conv1x1.conv1x1.0", in: c, out: c, kernel: 1, activation: .relu)
        func branch(_ name: String, _ out: Int, _ act: Activation) throws -> (Conv2d, Conv2d) {
            (try w.conv2d("\(path).\(name).conv5x5.0", in: c, out: c, kernel: 5, padding: 2, groups: c, activation: .relu),
             try w.conv2d("\(path).\(name).conv5x5.3", in: c, out: out, kernel: 1, activation: act))
        }
        obj = try branch("obj_layers", 1, .sigmoid)
        reg = try branch("reg_layers", 4, .linear)
        cls = try branch("cls_layers", classes, .linear)
        self.classes = classes
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        let x = ctx(conv1x1, features[0])
        let o = ctx(obj.1, ctx(obj.0, x)), r = ctx(reg.1, ctx(reg.0, x))
        let c = ctx(cls.1, ctx(cls.0, x))
        Ops.softmax(c, axis: 1, into: c)
        return [ctx.arena.concatChannels([o, r, c])]
    }

    public func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector) {
        let out = raw[0]
        precondition(out.rank == 4 && out.shape[1] == 5 + classes, "FastestDetHead: raw output \(out.shape)")
        let h = out.shape[2], w = out.shape[3], hw = h * w
        let p = out.pointer
        let sx = Float(inputWidth), sy = Float(inputHeight)
        for i in 0..<h {
            for j in 0..<w {
                let cell = i * w + j
                var best = 0
                var bestScore = p[5 * hw + cell]
                for k in 1..<classes where p[(5 + k) * hw + cell] > bestScore { best = k; bestScore = p[(5 + k) * hw + cell] }
                let score = pow(p[cell], 0.6) * pow(bestScore, 0.4)
                collector.offer(score: score, classID: best) {
                    let cx = (Float(j) + tanh(p[hw + cell])) / Float(w), cy = (Float(i) + tanh(p[2 * hw + cell])) / Float(h)
                    let bw = 1 / (1 + exp(-p[3 * hw + cell])), bh = 1 / (1 + exp(-p[4 * hw + cell]))
                    return Box(centerX: cx * sx, centerY: cy * sy, width: bw * sx, height: bh * sy)
                }
            }
        }
    }
}
