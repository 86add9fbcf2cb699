import ZooNN

/// YOLOX's CSPDarknet backbone: `Focus` stem, then four stages (`dark2` … `dark5`), each a stride-2 conv and a
/// `CSPLayer` (`dark5` with an `SPPBottleneck` before its CSP layer, which has no shortcuts). Outputs `dark3`,
/// `dark4`, `dark5` at strides 8, 16, 32 with `256, 512, 1024 × width` channels.
/// Port of YOLOX `yolox/models/darknet.py` `CSPDarknet` (module paths `backbone.backbone.*`).
public final class CSPDarknet: Backbone {
    /// Depth/width multipliers (YOLOX `dep_mul`, `wid_mul`) and the depthwise variant.
    public struct Config: Sendable, Equatable {
        public var depth: Double, width: Double, depthwise: Bool
        public init(depth: Double, width: Double, depthwise: Bool) { self.depth = depth; self.width = width; self.depthwise = depthwise }
        /// YOLOX-Nano.
        public static let nano = Config(depth: 0.33, width: 0.25, depthwise: true)
        /// YOLOX-Tiny.
        public static let tiny = Config(depth: 0.33, width: 0.375, depthwise: false)
        /// YOLOX-S.
        public static let s = Config(depth: 0.33, width: 0.5, depthwise: false)
    }

    public let stem: Focus
    /// `dark2` … `dark5`: (stride-2 conv, optional SPP, CSP layer).
    public let stages: [(down: YOLOXConv, spp: SPPBottleneck?, csp: CSPLayer)]
    public let outputs: [FeatureMapSpec]

    public init(_ w: inout ONNXWeightImporter, _ config: Config, path: String = "backbone.backbone") throws {
        let base = Int(config.width * 64), depth = max(Int((config.depth * 3).rounded()), 1)
        stem = try Focus(&w, "\(path).stem", in: 3, out: base, kernel: 3)
        var stages: [(YOLOXConv, SPPBottleneck?, CSPLayer)] = []
        for (i, n) in [depth, depth * 3, depth * 3, depth].enumerated() {
            let inC = base << i, outC = base << (i + 1), p = "\(path).dark\(i + 2)"
            let down = try YOLOXConv(&w, "\(p).0", in: inC, out: outC, kernel: 3, stride: 2, depthwise: config.depthwise)
            let last = i == 3
            let spp = last ? try SPPBottleneck(&w, "\(p).1", in: outC, out: outC) : nil
            let csp = try CSPLayer(&w, "\(p).\(last ? 2 : 1)", in: outC, out: outC, n: n, shortcut: !last,
                                   depthwise: config.depthwise)
            stages.append((down, spp, csp))
        }
        self.stages = stages
        outputs = (3...5).map { FeatureMapSpec(name: "dark\($0)", channels: base << ($0 - 1), stride: 1 << $0) }
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> [Tensor] {
        var h = stem(x, ctx)
        var out: [Tensor] = []
        out.reserveCapacity(3)
        for (i, s) in stages.enumerated() {
            h = s.down(h, ctx)
            if let spp = s.spp { h = spp(h, ctx) }
            h = s.csp(h, ctx)
            if i >= 1 { out.append(h) }
        }
        return out
    }
}
