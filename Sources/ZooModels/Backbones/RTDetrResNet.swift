import ZooNN

/// RT-DETR's ResNet-vd trunk (HF transformers 5.23 `RTDetrResNetBackbone`, after lyuwenyu/RT-DETR `presnet.py`):
/// a deep stem of three 3×3 convs (`embedder.embedder.{0,1,2}`, the first stride 2) and a 3×3/2 max-pool, then four
/// stages of `RTDetrResNetBasicLayer` (ResNet-18/34) or `RTDetrResNetBottleNeckLayer` (50/101) at
/// `encoder.stages.S.layers.L`; the first stage keeps the resolution, the others halve it. BatchNorm (frozen in the
/// detector) folded into each conv. Outputs stages 2–4 (stride 8, 16, 32), as `out_features=["stage2", "stage3", "stage4"]`.
///
/// The variant is read from the keys: layer type (a `layer.2` conv ⇒ bottleneck), blocks per stage, channel widths.
/// Input `N, 3, H, W` (RGB / 255, not normalised) → three maps `N, C_s, H/2^(s+1), W/2^(s+1)`.
public final class RTDetrResNet: Backbone {
    public enum Block {
        case basic(RTDetrResNetBasicLayer)
        case bottleneck(RTDetrResNetBottleNeckLayer)
        func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
            switch self {
            case .basic(let b): return b(x, ctx)
            case .bottleneck(let b): return b(x, ctx)
            }
        }
    }

    public let embedder: [Conv2d]
    public let pooler = MaxPool2d(kernel: 3, stride: 2, padding: 1)
    public let stages: [[Block]]
    public let isBottleneck: Bool
    public let outputs: [FeatureMapSpec]

    /// Imports `<path>.embedder.embedder.N.*` and `<path>.encoder.stages.S.layers.L.*` (path `backbone.model` in an
    /// `RTDetrForObjectDetection` checkpoint once the importer dropped the leading `model.`).
    public init(_ w: inout TorchWeightImporter, path: String) throws {
        let stem = "\(path).embedder.embedder"
        guard let s0 = w.shape("\(stem).0.convolution.weight"), s0.count == 4, s0[1] == 3,
              let s2 = w.shape("\(stem).2.convolution.weight"), s2.count == 4 else {
            throw TorchPickleError(file: w.stateDict.file, "\(stem).0/2.convolution.weight missing: not an RT-DETR ResNet-vd backbone")
        }
        let half = s0[0], embedding = s2[0]
        embedder = [
            try w.convBN("\(stem).0.convolution", "\(stem).0.normalization", in: 3, out: half, kernel: 3, stride: 2, padding: 1, activation: .relu),
            try w.convBN("\(stem).1.convolution", "\(stem).1.normalization", in: half, out: half, kernel: 3, padding: 1, activation: .relu),
            try w.convBN("\(stem).2.convolution", "\(stem).2.normalization", in: half, out: embedding, kernel: 3, padding: 1, activation: .relu),
        ]
        let st = "\(path).encoder.stages"
        isBottleneck = w.has("\(st).0.layers.0.layer.2.convolution.weight")
        var stages: [[Block]] = []
        var inC = embedding
        for s in 0..<4 {
            var blocks: [Block] = []
            let last = isBottleneck ? "layer.2" : "layer.1"
            guard let widthShape = w.shape("\(st).\(s).layers.0.\(last).convolution.weight") else {
                throw TorchPickleError(file: w.stateDict.file, "\(st).\(s).layers.0: missing (RT-DETR ResNet-vd has four stages)")
            }
            let outC = widthShape[0]
            var l = 0
            while w.has("\(st).\(s).layers.\(l).layer.0.convolution.weight") {
                let p = "\(st).\(s).layers.\(l)", stride = l == 0 && s > 0 ? 2 : 1
                blocks.append(isBottleneck ? .bottleneck(try RTDetrResNetBottleNeckLayer(&w, p, in: inC, out: outC, stride: stride))
                                           : .basic(try RTDetrResNetBasicLayer(&w, p, in: inC, out: outC, stride: stride, applyShortcut: l == 0)))
                inC = outC
                l += 1
            }
            stages.append(blocks)
        }
        self.stages = stages
        outputs = (1..<4).map { s in
            let c: Int
            switch stages[s].last! { case .basic(let b): c = b.conv2.outChannels; case .bottleneck(let b): c = b.conv3.outChannels }
            return FeatureMapSpec(name: "stage\(s + 1)", channels: c, stride: 4 << s)
        }
    }

    /// Blocks per stage (ResNet-18: 2-2-2-2, ResNet-50: 3-4-6-3).
    public var depths: [Int] { stages.map(\.count) }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) throws -> [Tensor] {
        var h = x
        for c in embedder { h = ctx(c, h) }
        h = ctx(pooler, h)
        var out: [Tensor] = []
        for (s, blocks) in stages.enumerated() {
            for b in blocks { h = b(h, ctx) }
            if s >= 1 { out.append(h) }
            try Interruption.check()
        }
        return out
    }
}
