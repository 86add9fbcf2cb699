import ZooNN

/// torchvision's `RetinaNetHead`: a classification and a regression subnet, each four 3×3 conv + ReLU layers
/// (`conv.i.0`; checkpoints of torchvision < 0.13 name them `conv.{2i}`, renamed as torchvision's
/// `_v1_to_v2_weights` does) and a 3×3 output conv: `cls_logits` → `A·K` logits, `bbox_reg` → `4A` deltas, shared
/// by every pyramid level. Input per level `N, C, H, W`; outputs `N, A·K, H, W` (channel `a·K + k`) and
/// `N, 4A, H, W`. Port of torchvision `models/detection/retinanet.py` (`RetinaNetClassificationHead`,
/// `RetinaNetRegressionHead`).
public struct RetinaNetHead {
    public let classConvs: [Conv2d], clsLogits: Conv2d
    public let boxConvs: [Conv2d], bboxReg: Conv2d
    public let anchors: Int, classes: Int

    public init(_ w: inout TorchWeightImporter, _ path: String, channels: Int, anchors: Int, classes: Int) throws {
        func tower(_ p: String) throws -> [Conv2d] {
            try (0..<4).map { i in
                let key = w.has("\(p).conv.\(2 * i).weight") && !w.has("\(p).conv.\(i).0.weight") ? "\(p).conv.\(2 * i)" : "\(p).conv.\(i).0"
                return try w.conv2d(key, in: channels, out: channels, kernel: 3, padding: 1, bias: true, activation: .relu)
            }
        }
        classConvs = try tower("\(path).classification_head")
        clsLogits = try w.conv2d("\(path).classification_head.cls_logits", in: channels, out: anchors * classes, kernel: 3, padding: 1, bias: true)
        boxConvs = try tower("\(path).regression_head")
        bboxReg = try w.conv2d("\(path).regression_head.bbox_reg", in: channels, out: anchors * 4, kernel: 3, padding: 1, bias: true)
        self.anchors = anchors; self.classes = classes
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> (logits: [Tensor], deltas: [Tensor]) {
        var logits: [Tensor] = [], deltas: [Tensor] = []
        for f in features {
            var c = f, b = f
            for l in classConvs { c = ctx(l, c) }
            for l in boxConvs { b = ctx(l, b) }
            logits.append(ctx(clsLogits, c))
            deltas.append(ctx(bboxReg, b))
        }
        return (logits, deltas)
    }
}
