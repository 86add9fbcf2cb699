import ZooNN

/// Feature Pyramid Network (Lin et al. 2017) as torchvision builds it: per input level a 1×1 lateral conv
/// (`inner_blocks.i.0`) and a 3×3 output conv (`layer_blocks.i.0`), top-down by nearest-neighbour resize to the
/// lateral's size plus the lateral, then the extra block (`LastLevelMaxPool`: "pool" = 1×1/2 max-pool of the last
/// output; `LastLevelP6P7`: "p6" = 3×3/2 conv of P5 (or C5), "p7" = 3×3/2 conv of ReLU(p6)).
/// Inputs as the backbone declares them (`N, C_i, H_i, W_i`); outputs `N, outChannels, H_i, W_i` named
/// "0", "1", … like torchvision's `BackboneWithFPN`, then the extra levels.
/// Port of torchvision `ops/feature_pyramid_network.py` (`FeaturePyramidNetwork`, `LastLevelMaxPool`, `LastLevelP6P7`).
public final class FPN: Neck {
    /// The extra block on top of the last level.
    public enum Extra: Sendable, Equatable {
        case none
        /// torchvision `LastLevelMaxPool` (Faster R-CNN / Mask R-CNN).
        case maxPool
        /// torchvision `LastLevelP6P7(inChannels, outChannels)` (RetinaNet, FCOS); P6 from P5 when `inChannels ==
        /// outChannels`, else from the backbone's last map.
        case p6p7(inChannels: Int)
    }

    public let inner: [Conv2d]
    public let layer: [Conv2d]
    public let extra: Extra
    public let p6: Conv2d?, p7: Conv2d?
    public let outputs: [FeatureMapSpec]

    /// Imports `<path>.inner_blocks.i.0`, `<path>.layer_blocks.i.0`, and `<path>.extra_blocks.p6/p7` (e.g. path
    /// `backbone.fpn`). `batchNorm` (torchvision's `norm_layer=BatchNorm2d`, the v2 detectors): each block is a
    /// bias-free conv `.0` with its BatchNorm `.1` (epsilon `batchNormEps`), folded at load.
    public init(_ w: inout TorchWeightImporter, path: String, inputs: [FeatureMapSpec], outChannels: Int = 256,
                extra: Extra = .maxPool, batchNorm: Bool = false, batchNormEps: Float = 1e-5) throws {
        func block(_ p: String, in inC: Int, kernel: Int) throws -> Conv2d {
            batchNorm
                ? try w.convBN("\(p).0", "\(p).1", in: inC, out: outChannels, kernel: kernel, padding: kernel / 2, eps: batchNormEps)
                : try w.conv2d("\(p).0", in: inC, out: outChannels, kernel: kernel, padding: kernel / 2, bias: true)
        }
        inner = try inputs.enumerated().map { i, s in try block("\(path).inner_blocks.\(i)", in: s.channels, kernel: 1) }
        layer = try inputs.indices.map { i in try block("\(path).layer_blocks.\(i)", in: outChannels, kernel: 3) }
        self.extra = extra
        var outs = inputs.enumerated().map { FeatureMapSpec(name: "\($0.offset)", channels: outChannels, stride: $0.element.stride) }
        let top = inputs.last!.stride
        switch extra {
        case .none:
            p6 = nil; p7 = nil
        case .maxPool:
            p6 = nil; p7 = nil
            outs.append(FeatureMapSpec(name: "pool", channels: outChannels, stride: top * 2))
        case .p6p7(let inC):
            p6 = try w.conv2d("\(path).extra_blocks.p6", in: inC, out: outChannels, kernel: 3, stride: 2, padding: 1, bias: true)
            p7 = try w.conv2d("\(path).extra_blocks.p7", in: outChannels, out: outChannels, kernel: 3, stride: 2, padding: 1, bias: true)
            outs += [FeatureMapSpec(name: "p6", channels: outChannels, stride: top * 2),
                     FeatureMapSpec(name: "p7", channels: outChannels, stride: top * 4)]
        }
        outputs = outs
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        let n = features.count
        var last = ctx(inner[n - 1], features[n - 1])
        var results = [ctx(layer[n - 1], last)]
        for i in stride(from: n - 2, through: 0, by: -1) {
            let lateral = ctx(inner[i], features[i])
            let up = ctx(Upsample(size: (lateral.shape[2], lateral.shape[3]), mode: .nearest), last)
            last = ctx.arena.add(lateral, up)
            results.insert(ctx(layer[i], last), at: 0)
        }
        switch extra {
        case .none: break
        case .maxPool: results.append(ctx(MaxPool2d(kernel: 1, stride: 2), results[n - 1]))
        case .p6p7(let inC):
            let source = inC == results[n - 1].shape[1] ? results[n - 1] : features[n - 1]
            let x6 = ctx(p6!, source)
            let relu = ctx.arena.tensor(x6.shape)
            Ops.activate(x6, .relu, into: relu)
            results += [x6, ctx(p7!, relu)]
        }
        return results
    }
}
