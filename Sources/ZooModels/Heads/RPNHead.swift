import ZooNN

/// torchvision's `RPNHead`: per pyramid level shared 3×3 conv + ReLU layers (`conv.0.0`, … `conv_depth` of them: 1,
/// or 2 in the v2 detectors), then 1×1 convs to `A`
/// objectness logits (`cls_logits`) and `4·A` box deltas (`bbox_pred`), `A` anchors per location.
/// Input: the levels `N, C, H_l, W_l`; output per level `N, A, H_l, W_l` and `N, 4A, H_l, W_l` (channel
/// `4a + k` = delta `k` of anchor `a`). Port of torchvision `models/detection/rpn.py` `RPNHead`.
public struct RPNHead {
    public let convs: [Conv2d], clsLogits: Conv2d, bboxPred: Conv2d
    public let anchors: Int

    /// Imports `<path>.conv.i.0` (a depth-1 head of torchvision < 0.13 names it `<path>.conv`: the same rename
    /// torchvision's `RPNHead._load_from_state_dict` applies), `<path>.cls_logits`, `<path>.bbox_pred`.
    public init(_ w: inout TorchWeightImporter, _ path: String, channels: Int, anchors: Int, convDepth: Int = 1) throws {
        convs = try (0..<convDepth).map { i in
            let convPath = convDepth == 1 && w.has("\(path).conv.weight") ? "\(path).conv" : "\(path).conv.\(i).0"
            return try w.conv2d(convPath, in: channels, out: channels, kernel: 3, padding: 1, bias: true, activation: .relu)
        }
        clsLogits = try w.conv2d("\(path).cls_logits", in: channels, out: anchors, kernel: 1, bias: true)
        bboxPred = try w.conv2d("\(path).bbox_pred", in: channels, out: 4 * anchors, kernel: 1, bias: true)
        self.anchors = anchors
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> (objectness: [Tensor], deltas: [Tensor]) {
        var obj: [Tensor] = [], del: [Tensor] = []
        for f in features {
            var t = f
            for c in convs { t = ctx(c, t) }
            obj.append(ctx(clsLogits, t))
            del.append(ctx(bboxPred, t))
        }
        return (obj, del)
    }
}
