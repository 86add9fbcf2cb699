import ZooNN

/// The composition of a `SingleStageDetector` as a traced forward pass sees it (`vz models NAME --describe`):
/// per module, each output's shape, stride and theoretical receptive field (`ReceptiveField` arithmetic over
/// the layers actually run), plus the parameters and multiply-accumulates of the whole network at one input size.
public struct DetectorDescription: Sendable {
    public struct Output: Sendable, Equatable {
        public var name: String
        /// `N, C, H, W` for feature maps; the head's raw output shape otherwise.
        public var shape: [Int]
        /// Declared stride (feature maps only).
        public var stride: Int?
        public var receptiveField: ReceptiveField
    }
    public struct Stage: Sendable {
        /// `backbone`, `neck`, `head`; `backbone+neck` for a single trunk module (darknet cfgs).
        public var role: String
        /// Swift type of the module, e.g. `CSPDarknet`.
        public var module: String
        public var outputs: [Output]
    }
    public var model: String
    public var inputShape: [Int]
    public var stages: [Stage]
    public var parameters: Int
    /// Multiply-accumulates of conv/linear layers (FLOPs = 2 × this).
    public var multiplyAccumulates: Int

    /// Traces one forward pass of `detector` on a zero input of `inputShape` (default: the card's size).
    public init(_ detector: SingleStageDetector, inputShape: [Int]? = nil) throws {
        let shape = inputShape ?? [1, 3, detector.card.input.height, detector.card.input.width]
        let trace = ArenaTrace()
        detector.arena.trace = trace
        defer { detector.arena.trace = nil }
        detector.arena.reset()
        let ctx = ForwardContext(arena: detector.arena, workspace: detector.workspace, inputShape: shape)
        let x = Tensor(zeros: shape)
        func outputs(_ ts: [Tensor], _ specs: [FeatureMapSpec]?, names: [String]) -> [Output] {
            ts.enumerated().map { i, t in
                Output(name: specs?[i].name ?? (i < names.count ? names[i] : "output\(i)"), shape: t.shape,
                       stride: specs?[i].stride, receptiveField: trace.field(of: t))
            }
        }
        let f = try detector.backbone(x, ctx)
        let p = try detector.neck.map { try $0(f, ctx) } ?? f
        let r = try detector.head(p, ctx)
        model = detector.card.name
        self.inputShape = shape
        if let neck = detector.neck {
            stages = [Stage(role: "backbone", module: "\(type(of: detector.backbone))", outputs: outputs(f, detector.backbone.outputs, names: [])),
                      Stage(role: "neck", module: "\(type(of: neck))", outputs: outputs(p, neck.outputs, names: []))]
        } else {
            stages = [Stage(role: "backbone+neck", module: "\(type(of: detector.backbone))", outputs: outputs(f, detector.backbone.outputs, names: []))]
        }
        stages.append(Stage(role: "head", module: "\(type(of: detector.head))", outputs: outputs(r, nil, names: detector.head.rawOutputNames)))
        parameters = trace.parameters
        multiplyAccumulates = trace.multiplyAccumulates
    }

    /// Human-readable form: one line per module and per output.
    public var text: String {
        var lines = ["\(model): " + stages.map(\.module).joined(separator: " → ") + " at input \(inputShape)"]
        for s in stages {
            lines.append("  \(s.role) \(s.module)")
            for o in s.outputs {
                let stride = o.stride.map { ", stride \($0)" } ?? ""
                lines.append("    \(o.name): \(o.shape)\(stride), receptive field \(o.receptiveField.size) px")
            }
        }
        lines.append(String(format: "  parameters %.3f M, %.2f GFLOPs (2 × %.3f G multiply-accumulates)",
                            Double(parameters) / 1e6, Double(multiplyAccumulates) * 2 / 1e9, Double(multiplyAccumulates) / 1e9))
        return lines.joined(separator: "\n")
    }
}
