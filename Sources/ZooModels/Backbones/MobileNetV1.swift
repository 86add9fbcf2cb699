import ZooNN

/// MobileNetV1 as the face detectors use it: a 3 × 3/2 stem conv (BN + activation), then `DepthwiseSeparableConv`
/// blocks (`conv_dw`); three taps give maps at strides 8, 16, 32.
/// Ports of mmdet's `MobileNetV1` in InsightFace `detection/scrfd` (`.scrfd500m`, ReLU) and of Pytorch_Retinaface
/// `models/net.py` `MobileNetV1` at width 0.25 (`.retinaFace025`, LeakyReLU 0.1); the exports flatten the stages
/// into one block list (`<path>.blocks.i`).
public final class MobileNetV1: Backbone {
    public struct Config: Sendable {
        /// Weight path of the stem conv (relative to the backbone path).
        public var stem: String
        public var stemChannels: Int
        /// (in, out, stride) of each `conv_dw` block.
        public var blocks: [(Int, Int, Int)]
        /// Block indices whose outputs are the backbone's outputs (strides 8, 16, 32).
        public var taps: [Int]
        public var tapNames: [String]
        public var activation: Activation

        /// SCRFD-500M: 16-channel stem, 14 blocks, taps after 5, 7, 13 (72, 152, 288 channels).
        public static let scrfd500m = Config(
            stem: "stages.0.0", stemChannels: 16,
            blocks: [(16, 16, 1), (16, 40, 2), (40, 40, 1), (40, 72, 2), (72, 72, 1), (72, 72, 1), (72, 152, 2),
                     (152, 152, 1), (152, 288, 2), (288, 288, 1), (288, 288, 1), (288, 288, 1), (288, 288, 1), (288, 288, 1)],
            taps: [5, 7, 13], tapNames: ["stage1", "stage2", "stage3"], activation: .relu)
        /// RetinaFace mnet0.25: 8-channel stem, stage1 (5 blocks), stage2 (6), stage3 (2); 64, 128, 256 channels.
        public static let retinaFace025 = Config(
            stem: "stage1.0.0", stemChannels: 8,
            blocks: [(8, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1), (64, 128, 2), (128, 128, 1),
                     (128, 128, 1), (128, 128, 1), (128, 128, 1), (128, 128, 1), (128, 256, 2), (256, 256, 1)],
            taps: [4, 10, 12], tapNames: ["stage1", "stage2", "stage3"], activation: .leaky(0.1))
    }

    public let stem: Conv2d
    public let blocks: [DepthwiseSeparableConv]
    public let taps: [Int]
    public let outputs: [FeatureMapSpec]

    public init(_ w: inout ONNXWeightImporter, _ config: Config, path: String) throws {
        stem = try w.conv2d("\(path).\(config.stem)", in: 3, out: config.stemChannels, kernel: 3, stride: 2, padding: 1,
                            activation: config.activation)
        blocks = try config.blocks.enumerated().map { i, b in
            try DepthwiseSeparableConv(&w, "\(path).blocks.\(i)", in: b.0, out: b.1, stride: b.2, activation: config.activation)
        }
        taps = config.taps
        var stride = 2
        var strideAfter: [Int] = []
        for b in config.blocks { stride *= b.2; strideAfter.append(stride) }
        outputs = zip(config.taps, config.tapNames).map { i, name in
            FeatureMapSpec(name: name, channels: config.blocks[i].1, stride: strideAfter[i])
        }
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> [Tensor] {
        var h = ctx(stem, x)
        var out: [Tensor] = []
        for (i, b) in blocks.enumerated() {
            h = b(h, ctx)
            if taps.contains(i) { out.append(h) }
        }
        return out
    }
}
