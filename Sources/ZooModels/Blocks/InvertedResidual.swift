import ZooNN

/// torchvision's MobileNetV3 `InvertedResidual` (Howard et al. 2019): optional 1×1 expansion (`block.0`, when the
/// expanded width differs from the input), `k×k` depthwise conv with stride (`block.{e}`), optional
/// `SqueezeExcitation` (`block.{e+1}`), 1×1 linear projection (`block.{last}`); BatchNorm folded into each conv;
/// activation ReLU or hard-swish after the expansion and the depthwise conv; the input added when stride is 1 and
/// the widths match. Input `N, inC, H, W` → `N, outC, H/stride, W/stride`.
/// Port of torchvision `models/mobilenetv3.py` (`InvertedResidualConfig`, `InvertedResidual`).
public struct InvertedResidual {
    /// One row of torchvision's `_mobilenet_v3_conf` table (`bneck_conf`, width multiplier 1).
    public struct Config: Sendable, Equatable {
        public var input: Int, kernel: Int, expanded: Int, output: Int, squeezeExcite: Bool, hardSwish: Bool, stride: Int
        public init(_ input: Int, _ kernel: Int, _ expanded: Int, _ output: Int, _ se: Bool, _ act: String, _ stride: Int) {
            self.input = input; self.kernel = kernel; self.expanded = expanded; self.output = output
            squeezeExcite = se; hardSwish = act == "HS"; self.stride = stride
        }
        /// torchvision `_make_divisible(expanded // 4, 8)`: the SE bottleneck width.
        public var squeezeChannels: Int {
            let v = expanded / 4, d = 8
            var n = Swift.max(d, (v + d / 2) / d * d)
            if Double(n) < 0.9 * Double(v) { n += d }
            return n
        }
    }

    public let config: Config
    public let expand: Conv2d?, depthwise: Conv2d
    public let se: SqueezeExcitation?
    public let project: Conv2d

    public init(_ w: inout TorchWeightImporter, _ path: String, _ c: Config, eps: Float = 1e-5) throws {
        let act: Activation = c.hardSwish ? .hardswish : .relu
        var i = 0
        if c.expanded != c.input {
            expand = try w.convBN("\(path).block.0.0", "\(path).block.0.1", in: c.input, out: c.expanded, kernel: 1, activation: act, eps: eps)
            i += 1
        } else {
            expand = nil
        }
        depthwise = try w.convBN("\(path).block.\(i).0", "\(path).block.\(i).1", in: c.expanded, out: c.expanded, kernel: c.kernel,
                                 stride: c.stride, padding: (c.kernel - 1) / 2, groups: c.expanded, activation: act, eps: eps)
        i += 1
        if c.squeezeExcite {
            se = try SqueezeExcitation(&w, "\(path).block.\(i)", channels: c.expanded, squeezeChannels: c.squeezeChannels)
            i += 1
        } else {
            se = nil
        }
        project = try w.convBN("\(path).block.\(i).0", "\(path).block.\(i).1", in: c.expanded, out: c.output, kernel: 1, eps: eps)
        config = c
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        var h = expand.map { ctx($0, x) } ?? x
        h = ctx(depthwise, h)
        if let se { se.forward(h, into: h, workspace: ctx.workspace) }
        h = ctx(project, h)
        guard config.stride == 1 && config.input == config.output else { return h }
        let y = ctx.arena.tensor(h.shape)
        Ops.add(h, x, into: y, activation: .linear)
        return y
    }
}
