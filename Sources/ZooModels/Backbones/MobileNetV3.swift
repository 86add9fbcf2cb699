import ZooNN

/// torchvision's MobileNetV3-Large `features` trunk (Howard et al. 2019) as its detectors use it
/// (`_mobilenet_extractor` → `IntermediateLayerGetter`): `features.0` 3×3/2 conv + BN + hard-swish (16), the 15
/// `InvertedResidual`s of `_mobilenet_v3_conf("mobilenet_v3_large")` (`features.1` … `features.15`), `features.16`
/// 1×1 conv + BN + hard-swish (960); no pooling or classifier. Input `N, 3, H, W` (ImageNet-normalised RGB);
/// outputs the returned `features.i`, `N, C_i, H / s_i, W / s_i` (FPN detectors: 13 → 160 channels and 16 → 960,
/// both at stride 32). BatchNorm (`FrozenBatchNorm2d`, eps 1e-5) folded into each conv at load.
/// Port of torchvision `models/mobilenetv3.py` (`MobileNetV3.features`) and `models/detection/backbone_utils.py`
/// (`_mobilenet_extractor`; module paths `<path>.0.0`, `<path>.1.block.0.0`, …).
public final class MobileNetV3: Backbone {
    /// `bneck_conf` rows of MobileNetV3-Large (width 1, no reduced tail, no dilation): input, kernel, expanded,
    /// output, SE, activation, stride.
    public static let large: [InvertedResidual.Config] = [
        .init(16, 3, 16, 16, false, "RE", 1), .init(16, 3, 64, 24, false, "RE", 2), .init(24, 3, 72, 24, false, "RE", 1),
        .init(24, 5, 72, 40, true, "RE", 2), .init(40, 5, 120, 40, true, "RE", 1), .init(40, 5, 120, 40, true, "RE", 1),
        .init(40, 3, 240, 80, false, "HS", 2), .init(80, 3, 200, 80, false, "HS", 1), .init(80, 3, 184, 80, false, "HS", 1),
        .init(80, 3, 184, 80, false, "HS", 1), .init(80, 3, 480, 112, true, "HS", 1), .init(112, 3, 672, 112, true, "HS", 1),
        .init(112, 5, 672, 160, true, "HS", 2), .init(160, 5, 960, 160, true, "HS", 1), .init(160, 5, 960, 160, true, "HS", 1),
    ]

    public let stem: Conv2d
    /// `features.1` … (only up to the last returned index).
    public let blocks: [InvertedResidual]
    /// `features.16` (when returned).
    public let lastConv: Conv2d?
    /// Returned `features` indices (torchvision's FPN extractor: the last two stage indices, `[13, 16]`).
    public let returnLayers: [Int]
    public let outputs: [FeatureMapSpec]

    /// torchvision `_mobilenet_extractor(fpn=True)`'s return layers: `stage_indices[-2:]` where the stage indices are
    /// 0, the strided blocks and the last conv.
    public static let fpnReturnLayers: [Int] = {
        let strided = large.enumerated().filter { $0.element.stride > 1 }.map { $0.offset + 1 }
        let stages = [0] + strided + [large.count + 1]
        return Array(stages.suffix(2))
    }()

    /// Imports `<path>.i.*` (e.g. path `backbone.body`).
    public init(_ w: inout TorchWeightImporter, path: String, returnLayers: [Int] = MobileNetV3.fpnReturnLayers, eps: Float = 1e-5) throws {
        let cfg = Self.large, last = cfg.count + 1
        precondition(!returnLayers.isEmpty && returnLayers.allSatisfy { (0...last).contains($0) } && returnLayers == returnLayers.sorted(),
                     "MobileNetV3: returnLayers \(returnLayers) must be increasing values in 0...\(last)")
        stem = try w.convBN("\(path).0.0", "\(path).0.1", in: 3, out: 16, kernel: 3, stride: 2, padding: 1, activation: .hardswish, eps: eps)
        let top = returnLayers.last!
        blocks = try cfg.prefix(min(top, cfg.count)).enumerated().map { i, c in try InvertedResidual(&w, "\(path).\(i + 1)", c, eps: eps) }
        lastConv = top == last
            ? try w.convBN("\(path).\(last).0", "\(path).\(last).1", in: cfg.last!.output, out: 6 * cfg.last!.output, kernel: 1,
                           activation: .hardswish, eps: eps)
            : nil
        self.returnLayers = returnLayers
        var stride = 2, specs: [FeatureMapSpec] = []
        for i in 0...top {
            if i >= 1 && i <= cfg.count { stride *= cfg[i - 1].stride }
            let channels = i == 0 ? 16 : i <= cfg.count ? cfg[i - 1].output : 6 * cfg.last!.output
            if returnLayers.contains(i) { specs.append(FeatureMapSpec(name: "\(i)", channels: channels, stride: stride)) }
        }
        outputs = specs
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> [Tensor] {
        var h = ctx(stem, x)
        var out: [Tensor] = []
        if returnLayers.contains(0) { out.append(h) }
        for (i, b) in blocks.enumerated() {
            h = b(h, ctx)
            if returnLayers.contains(i + 1) { out.append(h) }
        }
        if let lastConv {
            h = ctx(lastConv, h)
            out.append(h)
        }
        return out
    }
}
