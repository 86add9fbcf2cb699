import ZooNN

/// torchvision's `FCOSHead`: a classification and a regression tower, each four × (3×3 conv → `GroupNorm(32)` →
/// ReLU) (`conv.{3i}`, `conv.{3i+1}`), then 3×3 output convs: `cls_logits` → `A·K` logits, `bbox_reg` + ReLU →
/// `4A` distances (left, top, right, bottom in units of the anchor's size), `bbox_ctrness` → `A` centerness
/// logits; shared by every pyramid level (`A` = 1 for FCOS). Input per level `N, C, H, W`; outputs
/// `N, A·K, H, W` (channel `a·K + k`), `N, 4A, H, W` and `N, A, H, W`.
/// Port of torchvision `models/detection/fcos.py` (`FCOSClassificationHead`, `FCOSRegressionHead`).
public struct FCOSHead {
    /// One tower layer: the conv and its GroupNorm (ReLU fused into the norm).
    public typealias TowerLayer = (conv: Conv2d, norm: GroupNorm)
    public let classTower: [TowerLayer], clsLogits: Conv2d
    public let boxTower: [TowerLayer], bboxReg: Conv2d, bboxCtrness: Conv2d
    public let anchors: Int, classes: Int

    /// Imports `<path>.classification_head.{conv.*, cls_logits}` and `<path>.regression_head.{conv.*, bbox_reg,
    /// bbox_ctrness}`.
    public init(_ w: inout TorchWeightImporter, _ path: String, channels: Int, anchors: Int, classes: Int,
                convs: Int = 4, groups: Int = 32) throws {
        func tower(_ p: String) throws -> [TowerLayer] {
            try (0..<convs).map { i in
                (try w.conv2d("\(p).conv.\(3 * i)", in: channels, out: channels, kernel: 3, padding: 1, bias: true),
                 try w.groupNorm("\(p).conv.\(3 * i + 1)", groups: groups, channels: channels, activation: .relu))
            }
        }
        classTower = try tower("\(path).classification_head")
        clsLogits = try w.conv2d("\(path).classification_head.cls_logits", in: channels, out: anchors * classes, kernel: 3, padding: 1, bias: true)
        boxTower = try tower("\(path).regression_head")
        bboxReg = try w.conv2d("\(path).regression_head.bbox_reg", in: channels, out: anchors * 4, kernel: 3, padding: 1, bias: true,
                               activation: .relu)
        bboxCtrness = try w.conv2d("\(path).regression_head.bbox_ctrness", in: channels, out: anchors, kernel: 3, padding: 1, bias: true)
        self.anchors = anchors; self.classes = classes
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext)
        -> (logits: [Tensor], distances: [Tensor], centerness: [Tensor]) {
        var logits: [Tensor] = [], distances: [Tensor] = [], centerness: [Tensor] = []
        for f in features {
            var c = f, b = f
            for l in classTower { c = ctx(l.norm, ctx(l.conv, c)) }
            for l in boxTower { b = ctx(l.norm, ctx(l.conv, b)) }
            logits.append(ctx(clsLogits, c))
            distances.append(ctx(bboxReg, b))
            centerness.append(ctx(bboxCtrness, b))
        }
        return (logits, distances, centerness)
    }
}
