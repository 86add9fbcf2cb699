import ZooNN

/// YuNet-n's backbone: `model0` (3 × 3/2 conv 3→16 with BN + ReLU, then a `ConvDPUnit`), then `model1` … `model5`
/// (two `ConvDPUnit`s each; model1 16→16→64, the others 64→64→64), a 2 × 2/2 max-pool before model1, model3,
/// model4 and model5. Input `N, 3, H, W` (BGR 0…255); outputs `model3`, `model4`, `model5` (64 channels) at
/// strides 8, 16, 32. Port of libfacedetection.train `mmdet/models/backbones/yunet_backbone.py` `YuNetBackbone`
/// (module paths `backbone.*`).
public final class YuNetBackbone: Backbone {
    public let model0Conv1: Conv2d
    public let model0Conv2: ConvDPUnit
    /// `model1` … `model5`.
    public let stages: [(ConvDPUnit, ConvDPUnit)]
    public let pool = MaxPool2d(kernel: 2, stride: 2)
    public let outputs = [FeatureMapSpec(name: "model3", channels: 64, stride: 8),
                          FeatureMapSpec(name: "model4", channels: 64, stride: 16),
                          FeatureMapSpec(name: "model5", channels: 64, stride: 32)]

    public init(_ w: inout ONNXWeightImporter, path: String = "backbone") throws {
        model0Conv1 = try w.conv2d("\(path).model0.conv1", in: 3, out: 16, kernel: 3, stride: 2, padding: 1, activation: .relu)
        model0Conv2 = try ConvDPUnit(&w, "\(path).model0.conv2", in: 16, out: 16)
        stages = try (1...5).map { i in
            (try ConvDPUnit(&w, "\(path).model\(i).conv1", in: i == 1 ? 16 : 64, out: i == 1 ? 16 : 64),
             try ConvDPUnit(&w, "\(path).model\(i).conv2", in: i == 1 ? 16 : 64, out: 64))
        }
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> [Tensor] {
        var h = model0Conv2(ctx(model0Conv1, x), ctx)
        var out: [Tensor] = []
        for (i, (a, b)) in stages.enumerated() {
            if i != 1 { h = ctx(pool, h) }          // before model1, model3, model4, model5
            h = b(a(h, ctx), ctx)
            if i >= 2 { out.append(h) }             // model3, model4, model5: strides 8, 16, 32
        }
        return out
    }
}
