import ZooNN

/// FastestDet's single-scale neck: the stride-8 map average-pooled (3×3/2, padding 1) and the stride-32 map
/// upsampled ×2 (nearest) are concatenated with the stride-16 map, then `SPP`: a 1×1 conv (ReLU) to `channels`,
/// three depthwise 5×5 towers of depth 1, 2, 3 (ReLU) concatenated, a 1×1 conv, plus the 1×1 output, ReLU.
/// Takes the backbone's maps at strides 8, 16, 32; outputs one map at stride 16.
/// Port of dog-qiuqiu/FastestDet `module/detector.py` (`avg_pool`, `upsample`, `SPP`; module paths `SPP.*`).
public final class FastestDetNeck: Neck {
    public let avgPool = AvgPool2d(kernel: 3, stride: 2, padding: 1)
    public let upsample = Upsample(scale: 2, mode: .nearest)
    public let conv1x1: Conv2d
    /// `S1`, `S2`, `S3`: 1, 2, 3 depthwise 5×5 convs (ReLU).
    public let towers: [[Conv2d]]
    public let output: Conv2d
    public let outputs: [FeatureMapSpec]

    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], channels: Int = 96, path: String = "SPP") throws {
        precondition(inputs.map(\.stride) == [8, 16, 32], "FastestDetNeck needs maps at strides 8, 16, 32, got \(inputs)")
        let inC = inputs.reduce(0) { $0 + $1.channels }
        conv1x1 = try w.conv2d("\(path).Conv1x1.conv1x1.0", in: inC, out: channels, kernel: 1, activation: .relu)
        towers = try (1...3).map { depth in
            try (0..<depth).map {
                try w.conv2d("\(path).S\(depth).\($0).block.0", in: channels, out: channels, kernel: 5, padding: 2,
                             groups: channels, activation: .relu)
            }
        }
        output = try w.conv2d("\(path).output.0", in: 3 * channels, out: channels, kernel: 1)
        outputs = [FeatureMapSpec(name: "spp", channels: channels, stride: 16)]
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        let p = ctx.arena.concatChannels([ctx(avgPool, features[0]), features[1], ctx(upsample, features[2])])
        let x = ctx(conv1x1, p)
        let ys = towers.map { tower in tower.reduce(x) { ctx($1, $0) } }
        let y = ctx.arena.add(x, ctx(output, ctx.arena.concatChannels(ys)))
        Ops.activate(y, .relu, into: y)
        return [y]
    }
}
