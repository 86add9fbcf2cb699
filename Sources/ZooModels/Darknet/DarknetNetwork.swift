import Foundation
import ZooNN

/// A darknet network (`.cfg` + `.weights`) composed of our layers, one module per cfg section.
///
/// Port of darknet's `parse_network_cfg` / `load_weights` / `forward_network` (AlexeyAB/darknet `parser.c`,
/// `network.c`) for inference. Layer `i` is the `i`-th section after `[net]`, exactly darknet's numbering, so
/// `[route]`/`[shortcut]` indices and OpenCV DNN's layer names (`conv_i`, `yolo_i`) line up with ours.
///
/// Input `N, C, H, W` (darknet models take RGB in `[0, 1]`); `forward` returns one tensor per `[yolo]` layer,
/// `N, H·W·A, 5+C` (see `YoloLayer`). Batch norm is folded into the convolutions at load. Buffers are planned
/// once per input shape and reused, so a forward pass allocates nothing; a network is therefore not safe for
/// concurrent use (callers serialise, one network per thread).
///
/// As a detector module (`Backbone`, backbone and neck in one: a cfg is one graph), `callAsFunction` runs every
/// layer but the `[yolo]` ones and returns the maps feeding them (`outputs`); `YOLOHead` decodes those.
public final class DarknetNetwork: Backbone, PlansOwnBuffers {
    /// One layer and where it came from.
    public struct Section {
        public var layer: DarknetLayer
        /// `file:line [type]` of the cfg section, for messages.
        public var location: String
        /// Output shape `C, H, W` at the cfg's input size.
        public var outputShape: [Int]
    }

    public let sections: [Section]
    /// Input channels (`[net] channels`).
    public let channels: Int
    /// The cfg's input size (`[net] width`, `height`).
    public let inputSize: (width: Int, height: Int)
    /// Indices of the `[yolo]` sections, in order.
    public let yoloIndices: [Int]
    /// Largest total stride (the input size must be a multiple of it for shapes to line up; 32 for YOLOs).
    public let maxStride: Int
    /// The maps feeding the `[yolo]` layers, in order: OpenCV DNN's name of the layer before each (`conv_15`),
    /// its channels `A·(5 + C)` and stride at the cfg's input size.
    public let outputs: [FeatureMapSpec]
    /// The `[yolo]` layers, in order (what `YOLOHead` decodes).
    public var yoloLayers: [YoloLayer] {
        yoloIndices.compactMap { if case .yolo(let y) = sections[$0].layer { return y } else { return nil } }
    }

    /// Planned buffers by input shape, most recently used last; at most `maxCachedPlans`.
    private var plans: [(shape: [Int], plan: Plan)] = []
    /// Input shapes whose buffers are kept at once (an unusual size must not pin its memory for ever).
    public static let maxCachedPlans = 2
    private let lock = NSLock()

    /// Builds the network of `config` and fills it from `weights`, which must hold exactly the floats it needs.
    ///
    /// Nothing is allocated before the cfg is known to be sane: `DarknetBlueprint` checks every numeric option
    /// against `DarknetLimits`, sizes every layer and the forward-pass memory at the cfg's input size, and the
    /// weights must hold exactly the floats the cfg asks for (else the error names the first section and field
    /// that runs short, or the count left over). Weight values must be finite.
    public init(config: DarknetConfig, weights: inout DarknetWeights) throws {
        let blueprint = try DarknetBlueprint(config)
        try Self.checkFloatCount(blueprint, weights)
        channels = blueprint.channels
        inputSize = blueprint.inputSize
        var built: [Section] = []
        built.reserveCapacity(blueprint.layers.count)
        for l in blueprint.layers {
            let layer: DarknetLayer
            switch l.kind {
            case .convolutional(let c): layer = .convolutional(try Self.convolutional(c, l.section, weights: &weights))
            case .maxpool(let size, let sy, let sx, let padding):
                layer = .maxpool(DarknetMaxPool(size: size, strideY: sy, strideX: sx, padding: padding))
            case .avgpool: layer = .avgpool(AdaptiveAvgPool2d(outputSize: (1, 1)))
            case .upsample(let s): layer = .upsample(Upsample(scale: s, mode: .nearest))
            case .route(let layers, let groups, let groupID): layer = .route(layers: layers, groups: groups, groupID: groupID)
            case .shortcut(let from, let act): layer = .shortcut(from: from, activation: act)
            case .dropout: layer = .dropout
            case .yolo(let head): layer = .yolo(head)
            }
            built.append(Section(layer: layer, location: l.section.location, outputShape: l.outputShape))
        }
        try weights.finish()
        sections = built
        yoloIndices = blueprint.yoloIndices
        maxStride = max(1, blueprint.layers.map(\.stride).max() ?? 1)
        outputs = blueprint.yoloIndices.map { i in
            let l = blueprint.layers[i - 1]
            let kind = built[i - 1].layer.kind
            return FeatureMapSpec(name: "\(kind == "convolutional" ? "conv" : kind)_\(i - 1)", channels: l.outputShape[0], stride: l.stride)
        }
    }

    /// Loads `cfg` and `weights` files.
    public convenience init(cfg: URL, weights: URL) throws {
        let config = try DarknetConfig(contentsOf: cfg)
        var w = try DarknetWeights(contentsOf: weights)
        try self.init(config: config, weights: &w)
    }

    /// The number of Float32 values a `.weights` file for `config` must hold (after the header); allocates nothing.
    public static func requiredFloatCount(_ config: DarknetConfig) throws -> Int {
        try DarknetBlueprint(config).floatCount
    }

    /// Throws unless the weights left in `weights` are exactly the blueprint's (synthetic streams always fit):
    /// a short file names the first section and field it cannot fill, a long one the count left over.
    static func checkFloatCount(_ blueprint: DarknetBlueprint, _ weights: DarknetWeights) throws {
        guard weights.floatCount != Int.max, weights.remaining != blueprint.floatCount else { return }
        var left = weights.remaining
        for l in blueprint.layers {
            guard case .convolutional(let c) = l.kind else { continue }
            for (field, n) in c.fields {
                guard n <= left else {
                    throw DarknetError.weights(path: weights.path, message: "ran out of floats at \(l.section.location) \(field): needs \(n), \(left) left (the cfg needs \(blueprint.floatCount) floats, the file holds \(weights.remaining) after the header; cfg and weights do not match)")
                }
                left -= n
            }
        }
        throw DarknetError.weights(path: weights.path, message: "\(left) of \(weights.remaining) floats left unused after the last layer (the cfg needs \(blueprint.floatCount)): cfg and weights do not match")
    }

    static func activation(_ section: DarknetSection) throws -> Activation {
        let name = try section.string("activation", default: "linear")
        switch name {
        case "linear": return .linear
        case "leaky": return .leaky(0.1)
        case "relu": return .relu
        case "relu6": return .relu6
        case "mish": return .mish
        case "swish": return .silu
        case "logistic": return .sigmoid
        case "tanh": return .tanh
        default: throw section.error("activation", "activation '\(name)' is not supported (linear, leaky, relu, relu6, mish, swish, logistic, tanh)")
        }
    }

    /// Builds a `[convolutional]` layer from its checked parameters and reads its weights (darknet order: biases,
    /// [scales, mean, variance], weights `n, c/groups, size, size`).
    static func convolutional(_ c: DarknetBlueprint.Conv, _ s: DarknetSection, weights: inout DarknetWeights) throws -> Conv2d {
        let n = c.filters
        var conv = Conv2d(inChannels: c.inChannels, outChannels: n, kernel: (c.size, c.size), stride: (c.strideY, c.strideX),
                          padding: Padding(c.padding), dilation: (c.dilation, c.dilation), groups: c.groups,
                          bias: true, activation: c.activation)
        let what = s.location
        let biases = try weights.take(n, for: "\(what) biases")
        if c.batchNorm {
            // Batch-norm epsilon: darknet's forks differ (pjreddie: x / (sqrt(var) + 1e-6), AlexeyAB:
            // x / sqrt(var + 1e-5)); we use OpenCV DNN's darknet importer, sqrt(var + 1e-6), which the parity
            // fixtures check (1e-5 shifts yolov3-tiny's logits by ~4e-3).
            var norm = BatchNorm2d(channels: n, eps: 1e-6)
            try weights.take(n, into: norm.weight.pointer, for: "\(what) scales")
            try weights.take(n, into: norm.runningMean.pointer, for: "\(what) rolling_mean")
            try weights.take(n, into: norm.runningVar.pointer, for: "\(what) rolling_variance")
            for i in 0..<n where !(norm.runningVar.pointer[i] >= 0) {
                throw DarknetError.weights(path: weights.path, message: "\(what) rolling_variance holds \(norm.runningVar.pointer[i]) at element \(i) (a variance cannot be negative: corrupt weights)")
            }
            norm.bias = Tensor(shape: [n], data: biases)
            try weights.take(conv.weight.count, into: conv.weight.pointer, for: "\(what) weights")
            conv.bias = Tensor(zeros: [n])
            conv.foldBatchNorm(norm)
            if let problem = WeightLimits.nonFiniteProblem(conv.weight) ?? conv.bias.flatMap(WeightLimits.nonFiniteProblem) {
                throw DarknetError.weights(path: weights.path, message: "\(what) weights with batch norm folded in: \(problem)")
            }
        } else {
            try weights.take(conv.weight.count, into: conv.weight.pointer, for: "\(what) weights")
            conv.bias = Tensor(shape: [n], data: biases)
        }
        return conv
    }

    // MARK: - Forward

    /// Buffers for one input shape: every layer's output (aliases where a layer copies nothing).
    final class Plan {
        let outputs: [Tensor]
        let workspace = Workspace()
        init(outputs: [Tensor]) { self.outputs = outputs }
    }

    /// Output shapes `N, C, H, W` (yolo: `N, rows, 5+C`) of every layer for an input `N, C, H, W`; throws when
    /// the input size does not fit the network (route/shortcut shapes disagree).
    public func shapes(for input: [Int]) throws -> [[Int]] {
        guard input.count == 4, input[1] == channels, input[2] > 0, input[3] > 0,
              input[0] > 0, input[0] <= DarknetLimits.maxSide, input[2] <= DarknetLimits.maxSide, input[3] <= DarknetLimits.maxSide else {
            throw DarknetError.shapeMismatch(location: "input", message: "expects N, \(channels), H, W (N, H, W in 1...\(DarknetLimits.maxSide)); got \(input)")
        }
        var out: [[Int]] = []
        var x = input
        // One walk: each layer is sized and added to the memory budget in turn.
        var budget = DarknetBlueprint.ActivationBudget(at: "input \(input[3])x\(input[2])")
        for (i, s) in sections.enumerated() {
            let y: [Int]
            switch s.layer {
            case .convolutional(let conv): y = conv.outputShape(for: x)
            case .maxpool(let p): y = p.outputShape(for: x)
            case .avgpool: y = [x[0], x[1], 1, 1]
            case .upsample(let u): y = u.outputShape(for: x)
            case .route(let layers, let groups, _):
                let first = out[layers[0]]
                for j in layers where out[j][2] != first[2] || out[j][3] != first[3] {
                    throw DarknetError.shapeMismatch(location: s.location, message: "input \(input[3])x\(input[2]): layer \(j) is \(out[j][3])x\(out[j][2]) but layer \(layers[0]) is \(first[3])x\(first[2]); use a multiple of \(maxStride)")
                }
                y = [x[0], layers.reduce(0) { $0 + out[$1][1] / groups }, first[2], first[3]]
            case .shortcut(let from, _):
                for j in from where out[j] != x {
                    throw DarknetError.shapeMismatch(location: s.location, message: "input \(input[3])x\(input[2]): layer \(j) has \(out[j]) but the previous layer has \(x); use a multiple of \(maxStride)")
                }
                y = x
            case .dropout: y = x
            case .yolo(let head): y = head.outputShape(for: x)
            }
            guard y.allSatisfy({ $0 > 0 }) else {
                throw DarknetError.shapeMismatch(location: s.location, message: "input \(input[3])x\(input[2]) is too small (layer \(i) output \(y))")
            }
            var scratch: [Int]?
            if case .convolutional(let c) = s.layer {
                scratch = DarknetBlueprint.scratch(size: c.kernel.0, strideX: c.stride.1, strideY: c.stride.0, groups: c.groups,
                                                   input: x, output: y)
            }
            budget.add(output: y, aliased: s.layer.aliasesInput(at: i), scratch: scratch)
            out.append(y); x = y
        }
        try budget.finish()
        return out
    }

    func plan(for input: [Int]) throws -> Plan {
        if let i = plans.firstIndex(where: { $0.shape == input }) {
            let hit = plans.remove(at: i)
            plans.append(hit)
            return hit.plan
        }
        let shapes = try self.shapes(for: input)
        var outputs: [Tensor] = []
        for (i, s) in sections.enumerated() {
            try Interruption.check()   // a large plan takes a while to allocate and zero
            switch s.layer {
            case .dropout where s.layer.aliasesInput(at: i):
                outputs.append(outputs[i - 1])
            case .route(let layers, _, _) where s.layer.aliasesInput(at: i):
                outputs.append(outputs[layers[0]])
            default:
                outputs.append(Tensor(zeros: shapes[i]))
            }
        }
        let p = Plan(outputs: outputs)
        if plans.count >= Self.maxCachedPlans {
            plans.removeFirst(plans.count - Self.maxCachedPlans + 1)
            MemoryRelease.returnFreedMemory()
        }
        plans.append((input, p))
        return p
    }

    /// Drops the buffers planned for every input shape but `keep` (e.g. after a request at an unusual size)
    /// and returns the freed memory to the system.
    public func releasePlans(keeping keep: [Int]?) {
        lock.lock()
        let before = plans.count
        plans.removeAll { $0.shape != keep }
        let dropped = plans.count != before
        lock.unlock()
        if dropped { MemoryRelease.returnFreedMemory() }
    }

    /// Input shapes with planned buffers, least recently used first (tests).
    public var plannedShapes: [[Int]] { lock.lock(); defer { lock.unlock() }; return plans.map(\.shape) }

    /// Runs the network; returns one tensor per `[yolo]` layer (`N, H·W·A, 5+C`). The returned tensors are
    /// reused by the next call with the same input shape: copy them to keep them.
    /// `layerTimes`, when given, receives each layer's wall time in seconds (for profiling).
    public func forward(_ input: Tensor, layerTimes: UnsafeMutablePointer<Double>? = nil) throws -> [Tensor] {
        lock.lock(); defer { lock.unlock() }
        let plan = try self.plan(for: input.shape)
        try run(input, plan: plan, layerTimes: layerTimes, heads: true, trace: nil)
        return yoloIndices.map { plan.outputs[$0] }
    }

    /// The trunk as a detector module: every layer but the `[yolo]` ones; returns the maps feeding them
    /// (`N, A·(5 + C), H/s, W/s`, valid until the next call with this input shape). With a trace on `ctx.arena`
    /// (`vz models --describe`) each layer's receptive field and cost are recorded. Buffers are the network's
    /// own plans, not the arena's.
    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) throws -> [Tensor] {
        lock.lock(); defer { lock.unlock() }
        let plan = try self.plan(for: x.shape)
        try run(x, plan: plan, layerTimes: nil, heads: false, trace: ctx.arena.trace)
        return yoloIndices.map { plan.outputs[$0 - 1] }
    }

    public func releaseBuffers(keepingInputShape keep: [Int]?) { releasePlans(keeping: keep) }

    /// Every layer's output from the last `forward` with this input shape (for parity tests and debugging).
    public func layerOutputs(for inputShape: [Int]) throws -> [Tensor] {
        lock.lock(); defer { lock.unlock() }
        return try plan(for: inputShape).outputs
    }

    /// Runs every layer in order (`[yolo]` layers only if `heads`); between layers, stops with `Interrupted` if
    /// the caller's flag was raised. `trace` records receptive fields and costs.
    private func run(_ input: Tensor, plan: Plan, layerTimes: UnsafeMutablePointer<Double>?, heads: Bool, trace: ArenaTrace?) throws {
        let outs = plan.outputs, ws = plan.workspace
        let netSize = (width: input.shape[3], height: input.shape[2])
        for (i, s) in sections.enumerated() {
            try Interruption.check()
            let t0 = layerTimes == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let x = i == 0 ? input : outs[i - 1]
            let y = outs[i]
            switch s.layer {
            case .convolutional(let conv): conv.forward(x, into: y, workspace: ws)
            case .maxpool(let pool): pool.forward(x, into: y, workspace: ws)
            case .avgpool(let pool): pool.forward(x, into: y, workspace: ws)
            case .upsample(let up): up.forward(x, into: y, workspace: ws)
            case .route(let layers, let groups, let groupID):
                if layers.count == 1 && groups == 1 { break }   // aliased at plan time
                DarknetNetwork.route(layers.map { outs[$0] }, groups: groups, groupID: groupID, into: y)
            case .shortcut(let from, let act):
                Ops.add(x, outs[from[0]], into: y, activation: from.count == 1 ? act : .linear)
                if from.count > 1 {
                    for (k, j) in from.enumerated().dropFirst() {
                        Ops.add(y, outs[j], into: y, activation: k == from.count - 1 ? act : .linear)
                    }
                }
            case .dropout:
                if i == 0 { y.pointer.update(from: x.pointer, count: x.count) }
            case .yolo(let head): if heads { head.decode(x, networkSize: netSize, into: y) }
            }
            if let trace { Self.record(s.layer, x, y, at: i, outs, trace) }
            if let layerTimes { layerTimes[i] += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 }
        }
    }

    /// Records layer `i` (input `x`, output `y`, every output so far `outs`) in `trace`.
    static func record(_ layer: DarknetLayer, _ x: Tensor, _ y: Tensor, at i: Int, _ outs: [Tensor], _ trace: ArenaTrace) {
        switch layer {
        case .convolutional(let conv): trace.record(conv, x, y)
        case .maxpool(let pool): trace.record(pool.padded, x, y)
        case .avgpool: trace.setField(trace.field(of: x).window(kernel: max(x.shape[2], x.shape[3]), stride: max(x.shape[2], x.shape[3])), of: y)
        case .upsample(let up): trace.record(up, x, y)
        case .route(let layers, _, _): trace.merge(layers.map { outs[$0] }, into: y)
        case .shortcut(let from, _): trace.merge([x] + from.map { outs[$0] }, into: y)
        case .dropout, .yolo: if i > 0 { trace.setField(trace.field(of: x), of: y) }
        }
    }

    /// Concatenates along channels the `groupID`-th channel group of each input (`N, C_k, H, W`) into `y`.
    static func route(_ xs: [Tensor], groups: Int, groupID: Int, into y: Tensor) {
        let n = y.shape[0], plane = y.shape[2] * y.shape[3], cOut = y.shape[1]
        for b in 0..<n {
            var offset = 0
            for x in xs {
                let part = x.shape[1] / groups
                let src = x.pointer + (b * x.shape[1] + groupID * part) * plane
                (y.pointer + (b * cOut + offset) * plane).update(from: src, count: part * plane)
                offset += part
            }
        }
    }
}
