import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// FCOS with a ResNet-50-FPN backbone (Tian et al. 2019, anchor-free: one point per location), from a torchvision
/// `state_dict` (`fcos_resnet50_fpn`'s keys: `backbone.body.*` (layers 2–4), `backbone.fpn.*` with
/// `extra_blocks.p6/p7`, `head.classification_head.*`, `head.regression_head.*`).
///
/// image → `GeneralizedRCNNTransform` → `ResNet` (layers 2–4) → `FPN` (P3–P5 + `LastLevelP6P7(256, 256)`: P6 from
/// P5) → `FCOSHead` → `postprocess_detections`: per level score `√(σ(cls) · σ(ctr))` > 0.2, the 1000 best
/// (location, class) pairs, boxes `BoxLinearCoder(normalize_by_size=True)` on the level's anchor (size = stride
/// 8 … 128, one per location), clipped; NMS 0.6 per class over all levels; the 100 best.
/// Port of torchvision `models/detection/fcos.py`. Not thread-safe.
public final class FCOS {
    public let backbone: ResNet
    public let fpn: FPN
    public let head: FCOSHead
    public var transform: GeneralizedRCNNTransform
    public var scoreThreshold: Float = 0.2, nmsThreshold: Float = 0.6, detectionsPerImage = 100, topKCandidates = 1000
    let arena = TensorArena()
    let workspace = Workspace()

    /// torchvision's FCOS default: one square anchor per location, its size the level's stride (8 … 128).
    public static let anchorGenerator = AnchorGenerator(sizes: [[8], [16], [32], [64], [128]],
                                                        aspectRatios: Array(repeating: [1], count: 5))

    /// Every stage's output of one pass (tensors valid until the next pass).
    public struct Stages {
        public var features: [Tensor] = []
        public var logits: [Tensor] = [], distances: [Tensor] = [], centerness: [Tensor] = []
        /// Detections in input-tensor pixels, labels as the checkpoint's class ids.
        public var detections: [Detection] = []
    }

    /// `batchNormEps`: see `ResNet` (torchvision's `fcos_resnet50_fpn` keeps 1e-5 for its own file too).
    public convenience init(checkpoint url: URL, transform: GeneralizedRCNNTransform = .init(), batchNormEps: Float = 1e-5) throws {
        try self.init(stateDict: try TorchPickle.loadStateDict(contentsOf: url), transform: transform, batchNormEps: batchNormEps)
    }

    /// Builds the model from tensors already read (errors name `stateDict.file` and the key).
    public init(stateDict: TorchStateDict, transform: GeneralizedRCNNTransform = .init(), batchNormEps: Float = 1e-5) throws {
        var w = TorchWeightImporter(stateDict)
        let key = "head.classification_head.cls_logits.weight"
        guard let out = w.shape(key)?.first, out >= 1, out <= 100_000, w.has("head.regression_head.bbox_ctrness.weight") else {
            throw TorchPickleError(file: stateDict.file, "\(key) or head.regression_head.bbox_ctrness.weight is missing or malformed: "
                                   + "not a torchvision FCOS checkpoint")
        }
        backbone = try ResNet(&w, path: "backbone.body", depth: .resnet50, returnLayers: [2, 3, 4], batchNormEps: batchNormEps)
        fpn = try FPN(&w, path: "backbone.fpn", inputs: backbone.outputs, outChannels: 256, extra: .p6p7(inChannels: 256))
        head = try FCOSHead(&w, "head", channels: 256, anchors: 1, classes: out)
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
        (s.logits, s.distances, s.centerness) = head(s.features, ctx)
        try Interruption.check()
        s.detections = postprocess(s, inputHeight: x.shape[2], inputWidth: x.shape[3], imageHeight: imageHeight, imageWidth: imageWidth)
        return s
    }

    func postprocess(_ s: Stages, inputHeight: Int, inputWidth: Int, imageHeight: Int, imageWidth: Int) -> [Detection] {
        let k = head.classes
        // √(σ(a)·σ(c)) > t needs σ(a) > t² (σ(c) ≤ 1): a cheap pre-filter on the logit; the exact test follows.
        let t2 = scoreThreshold * scoreThreshold
        let preThreshold = Foundation.log(t2 / (1 - t2)) - 1e-3
        var boxes: [Float] = [], scores: [Float] = [], labels: [Int32] = []
        for level in s.logits.indices {
            let lg = s.logits[level], h = lg.shape[2], w = lg.shape[3], hw = h * w
            let anchors = Self.anchorGenerator.anchors(level: level, gridHeight: h, gridWidth: w, imageHeight: inputHeight, imageWidth: inputWidth)
            let lp = lg.pointer, cp = s.centerness[level].pointer, dp = s.distances[level].pointer
            // Candidates in torchvision's flattened (y, x, k) order; logit of (p, k) is lg[k, p].
            var cand: [(index: Int, score: Float)] = []
            for p in 0..<hw {
                let ctr = 1 / (1 + Foundation.exp(-cp[p]))
                for c in 0..<k {
                    let v = lp[c * hw + p]
                    guard v > preThreshold else { continue }
                    let sc = (1 / (1 + Foundation.exp(-v)) * ctr).squareRoot()
                    if sc > scoreThreshold { cand.append((p * k + c, sc)) }
                }
            }
            cand.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
            for c in cand.prefix(topKCandidates) {
                let p = c.index / k, label = c.index % k
                let b = BoxCoder.linear(dp[p], dp[hw + p], dp[2 * hw + p], dp[3 * hw + p], relativeTo: anchors[p])
                    .clipped(width: Float(imageWidth), height: Float(imageHeight))
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
