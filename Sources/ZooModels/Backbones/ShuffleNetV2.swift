import ZooNN

/// ShuffleNet V2 backbone: a 3×3/2 stem conv (act), a 3×3/2 max-pool, then three stages of `ShuffleV2Block`s (the
/// first of each with stride 2). Outputs `stage2`, `stage3`, `stage4` at strides 8, 16, 32.
/// Ports of dog-qiuqiu/FastestDet `module/shufflenetv2.py` (`.fastestDet`: ReLU, `first_conv`) and of NanoDet
/// `nanodet/model/backbone/shufflenetv2.py` (`.nanodetM`: the torchvision layout, LeakyReLU 0.1, `conv1`).
public final class ShuffleNetV2: Backbone {
    public struct Config: Sendable, Equatable {
        public var repeats: [Int]
        /// Channels of the stem, then of each stage.
        public var channels: [Int]
        public var layout: ShuffleV2Block.Layout = .fastestDet
        public var activation: Activation = .relu
        /// FastestDet: `stage_repeats [4, 8, 4]`, `stage_out_channels [-1, 24, 48, 96, 192]`.
        public static let fastestDet = Config(repeats: [4, 8, 4], channels: [24, 48, 96, 192])
        /// NanoDet-m: ShuffleNetV2 1.0× (`[24, 116, 232, 464]`), LeakyReLU 0.1, no last conv.
        public static let nanodetM = Config(repeats: [4, 8, 4], channels: [24, 116, 232, 464], layout: .torchvision,
                                            activation: .leaky(0.1))
    }

    public let firstConv: Conv2d
    public let maxPool = MaxPool2d(kernel: 3, stride: 2, padding: 1)
    public let stages: [[ShuffleV2Block]]
    public let outputs: [FeatureMapSpec]

    public init(_ w: inout ONNXWeightImporter, _ config: Config, path: String = "backbone") throws {
        firstConv = try w.conv2d(config.layout == .fastestDet ? "\(path).first_conv.0" : "\(path).conv1.0", in: 3,
                                 out: config.channels[0], kernel: 3, stride: 2, padding: 1, activation: config.activation)
        var stages: [[ShuffleV2Block]] = []
        var inC = config.channels[0]
        for (s, n) in config.repeats.enumerated() {
            let outC = config.channels[s + 1]
            var blocks: [ShuffleV2Block] = []
            for i in 0..<n {
                blocks.append(try ShuffleV2Block(&w, "\(path).stage\(s + 2).\(i)", in: i == 0 ? inC : outC, out: outC,
                                                 mid: outC / 2, stride: i == 0 ? 2 : 1, layout: config.layout,
                                                 activation: config.activation))
            }
            stages.append(blocks)
            inC = outC
        }
        self.stages = stages
        outputs = (0..<config.repeats.count).map {
            FeatureMapSpec(name: "stage\($0 + 2)", channels: config.channels[$0 + 1], stride: 8 << $0)
        }
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> [Tensor] {
        var h = ctx(maxPool, ctx(firstConv, x))
        var out: [Tensor] = []
        out.reserveCapacity(stages.count)
        for stage in stages {
            for b in stage { h = b(h, ctx) }
            out.append(h)
        }
        return out
    }
}
