import ZooNN

/// torchvision's ResNet-50/101 trunk as detectors use it (`IntermediateLayerGetter` over `resnet50()`):
/// `conv1` 7×7/2 + `bn1` + ReLU, 3×3/2 max-pool, then `layer1` … `layer4` of `Bottleneck`s; no pooling or `fc`.
/// Input `N, 3, H, W` (ImageNet-normalised RGB); outputs the selected layers `layerK` at stride `2^(K+1)` with
/// `64·2^(K+1)` channels (256, 512, 1024, 2048). BatchNorm (`FrozenBatchNorm2d` in torchvision's detection
/// checkpoints, `BatchNorm2d` in a plain one) is folded into each conv at load.
/// Port of torchvision `models/resnet.py` `ResNet` (module paths `<path>.conv1`, `<path>.layer1.0.conv1`, …).
public final class ResNet: Backbone {
    /// Blocks per layer.
    public struct Depth: Sendable, Equatable {
        public var blocks: [Int]
        public static let resnet50 = Depth(blocks: [3, 4, 6, 3])
        public static let resnet101 = Depth(blocks: [3, 4, 23, 3])
    }

    public let conv1: Conv2d
    public let maxpool = MaxPool2d(kernel: 3, stride: 2, padding: 1)
    /// `layer1` … `layer4`; layers after the last returned one are not built (their keys must be absent).
    public let layers: [[Bottleneck]]
    /// Returned layers, 1-based (torchvision's `return_layers`: FPN detectors `[1, 2, 3, 4]`, RetinaNet
    /// `[2, 3, 4]`, DETR `[4]`).
    public let returnLayers: [Int]
    public let outputs: [FeatureMapSpec]

    /// Imports `<path>.conv1`, `<path>.bn1`, `<path>.layerK.i.*` (e.g. path `backbone.body`). `batchNormEps`: 1e-5
    /// (torch's default), 0 for torchvision's COCO_V1 detection checkpoints (their builders call `overwrite_eps(model, 0)`).
    public init(_ w: inout TorchWeightImporter, path: String, depth: Depth = .resnet50, returnLayers: [Int] = [1, 2, 3, 4],
                batchNormEps: Float = 1e-5) throws {
        precondition(!returnLayers.isEmpty && returnLayers.allSatisfy { (1...4).contains($0) } && returnLayers == returnLayers.sorted(),
                     "ResNet: returnLayers \(returnLayers) must be increasing values in 1...4")
        conv1 = try w.convBN("\(path).conv1", "\(path).bn1", in: 3, out: 64, kernel: 7, stride: 2, padding: 3, activation: .relu, eps: batchNormEps)
        var layers: [[Bottleneck]] = []
        var inC = 64
        for (i, n) in depth.blocks.prefix(returnLayers.last!).enumerated() {
            let planes = 64 << i
            var blocks: [Bottleneck] = []
            for b in 0..<n {
                blocks.append(try Bottleneck(&w, "\(path).layer\(i + 1).\(b)", in: inC, planes: planes, stride: b == 0 && i > 0 ? 2 : 1, eps: batchNormEps))
                inC = planes * 4
            }
            layers.append(blocks)
        }
        self.layers = layers
        self.returnLayers = returnLayers
        outputs = returnLayers.map { FeatureMapSpec(name: "layer\($0)", channels: 256 << ($0 - 1), stride: 2 << $0) }
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> [Tensor] {
        var h = ctx(maxpool, ctx(conv1, x))
        var out: [Tensor] = []
        for (i, blocks) in layers.enumerated() {
            for b in blocks { h = b(h, ctx) }
            if returnLayers.contains(i + 1) { out.append(h) }
        }
        return out
    }
}
