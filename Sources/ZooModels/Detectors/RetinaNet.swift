import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// RetinaNet with a ResNet-50-FPN backbone (Lin et al. 2017, focal loss), from a torchvision `state_dict`
/// (`retinanet_resnet50_fpn`'s keys: `backbone.body.*` (layers 2–4), `backbone.fpn.*` with `extra_blocks.p6/p7`,
/// `head.classification_head.*`, `head.regression_head.*`).
///
/// image → `GeneralizedRCNNTransform` → `ResNet` (layers 2–4) → `FPN` (P3–P5 + `LastLevelP6P7` from P5) →
/// `RetinaNetHead` → `postprocess_detections`: per level sigmoid scores > 0.05, the 1000 best (anchor, class) pairs,
/// deltas decoded on their anchors (weights 1, 1, 1, 1), clipped; NMS 0.5 per class over all levels; the 300 best.
/// Port of torchvision `models/detection/retinanet.py`. Not thread-safe.
public final class RetinaNet {
    public let backbone: ResNet
    public let fpn: FPN
    public let head: RetinaNetHead
    public var transform: GeneralizedRCNNTransform
    public var scoreThreshold: Float = 0.05, nmsThreshold: Float = 0.5, detectionsPerImage = 300, topKCandidates = 1000
    public let coder = BoxCoder.rpn
    let arena = TensorArena()
    let workspace = Workspace()

    /// torchvision's `_default_anchorgen`: sizes `(x, ⌊x·2^(1/3)⌋, ⌊x·2^(2/3)⌋)` for x = 32 … 512, ratios 0.5, 1, 2.
    public static let anchorGenerator = AnchorGenerator(
        sizes: [32, 64, 128, 256, 512].map { x in [x, Float(Int(Double(x) * Foundation.pow(2, 1.0 / 3))), Float(Int(Double(x) * Foundation.pow(2, 2.0 / 3)))] },
        aspectRatios: Array(repeating: [0.5, 1, 2], count: 5))

    /// Every stage's output of one pass (tensors valid until the next pass).
    public struct Stages {
        public var features: [Tensor] = []
        public var logits: [Tensor] = [], deltas: [Tensor] = []
        /// Detections in input-tensor pixels, labels as the checkpoint's class ids.
        public var detections: [Detection] = []
    }

    /// `batchNormEps`: see `ResNet` (0 for torchvision's own COCO_V1 file).
    public convenience init(checkpoint url: URL, transform: GeneralizedRCNNTransform = .init(), batchNormEps: Float = 1e-5) throws {
        try self.init(stateDict: try TorchPickle.loadStateDict(contentsOf: url), transform: transform, batchNormEps: batchNormEps)
    }

    /// Builds the model from tensors already read (errors name `stateDict.file` and the key).
    public init(stateDict: TorchStateDict, transform: GeneralizedRCNNTransform = .init(), batchNormEps: Float = 1e-5) throws {
        var w = TorchWeightImporter(stateDict)
        let a = Self.anchorGenerator.anchorsPerLocation[0]
        let key = "head.classification_head.cls_logits.weight"
        guard let out = w.shape(key)?.first, out % a == 0, out / a >= 1, out / a <= 100_000 else {
            throw TorchPickleError(file: stateDict.file, "\(key) is missing or malformed: not a torchvision RetinaNet checkpoint")
        }
        backbone = try ResNet(&w, path: "backbone.body", depth: .resnet50, returnLayers: [2, 3, 4], batchNormEps: batchNormEps)
        fpn = try FPN(&w, path: "backbone.fpn", inputs: backbone.outputs, outChannels: 256, extra: .p6p7(inChannels: 256))
        head = try RetinaNetHead(&w, "head", channels: 256, anchors: a, classes: out / a)
        try w.finish()
        self.transform = transform
    }

    /// Runs every stage on `x` (`1, 3, H, W`) holding an image of `imageHeight × imageWidth`.
    public func forward(_ x: Tensor, imageHeight: Int, imageWidth: Int) throws -> Stages {
        arena.reset()
        let ctx = ForwardContext(arena: arena, workspace: workspace)
        var s = Stages()
        s.features = fpn(backbone(x, ctx), ctx)
        try Interruption.check()
        (s.logits, s.deltas) = head(s.features, ctx)
        try Interruption.check()
        s.detections = postprocess(s.logits, s.deltas, inputHeight: x.shape[2], inputWidth: x.shape[3],
                                   imageHeight: imageHeight, imageWidth: imageWidth)
        return s
    }

    func postprocess(_ logits: [Tensor], _ deltas: [Tensor], inputHeight: Int, inputWidth: Int,
                     imageHeight: Int, imageWidth: Int) -> [Detection] {
        let k = head.classes, a = head.anchors
        let threshold = Foundation.log(scoreThreshold / (1 - scoreThreshold))   // sigmoid(x) > t ⇔ x > logit(t)
        var boxes: [Float] = [], scores: [Float] = [], labels: [Int32] = []
        var code = [Float](repeating: 0, count: 4)
        for (level, (lg, dl)) in zip(logits, deltas).enumerated() {
            let h = lg.shape[2], w = lg.shape[3], hw = h * w
            let anchors = Self.anchorGenerator.anchors(level: level, gridHeight: h, gridWidth: w, imageHeight: inputHeight, imageWidth: inputWidth)
            // Candidates in torchvision's flattened (y, x, a, k) order; logit of (p, a, k) is lg[a·K + k, p].
            var cand: [(index: Int, score: Float)] = []
            let lp = lg.pointer
            for p in 0..<hw {
                for ak in 0..<(a * k) {
                    let v = lp[ak * hw + p]
                    guard v > threshold - 1e-3 else { continue }   // cheap pre-filter; the exact test is on the sigmoid
                    let sc = 1 / (1 + Foundation.exp(-v))
                    if sc > scoreThreshold { cand.append((p * a * k + ak, sc)) }
                }
            }
            cand.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
            let dp = dl.pointer
            for c in cand.prefix(topKCandidates) {
                let anchor = c.index / k, label = c.index % k
                let p = anchor / a, ai = anchor % a
                for j in 0..<4 { code[j] = dp[(4 * ai + j) * hw + p] }
                let b = coder.decode(code, relativeTo: anchors[anchor]).clipped(width: Float(imageWidth), height: Float(imageHeight))
                boxes += [b.x1, b.y1, b.x2, b.y2]; scores.append(c.score); labels.append(Int32(label))
            }
        }
        let keep = NMS.indices(boxes: boxes, scores: scores, count: scores.count, threshold: nmsThreshold,
                               classes: labels, maxDetections: detectionsPerImage)
        return keep.map { j in
            Detection(box: Box(x1: boxes[4 * j], y1: boxes[4 * j + 1], x2: boxes[4 * j + 2], y2: boxes[4 * j + 3]),
                      score: scores[j], classID: Int(labels[j]))
        }
    }

    /// Detections of `image` in its own pixels.
    public func detect(_ image: Image) throws -> [Detection] {
        let x = Tensor(zeros: transform.tensorShape(height: image.height, width: image.width))
        let r = transform.apply(image, into: x, workspace: workspace)
        let s = try forward(x, imageHeight: r.height, imageWidth: r.width)
        let rh = Float(image.height) / Float(r.height), rw = Float(image.width) / Float(r.width)
        return s.detections.map { d in
            var d = d
            d.box = Box(x1: d.box.x1 * rw, y1: d.box.y1 * rh, x2: d.box.x2 * rw, y2: d.box.y2 * rh)
            return d
        }
    }
}
