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
public final class DarknetNetwork {
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

    /// Planned buffers by input shape, most recently used last; at most `maxCachedPlans`.
    private var plans: [(shape: [Int], plan: Plan)] = []
    /// Input shapes whose buffers are kept at once (an unusual size must not pin its memory for ever).
    public static let maxCachedPlans = 2
    private let lock = NSLock()

    /// Builds the network of `config` and fills it from `weights`, which must hold exactly the floats it needs.
    public init(config: DarknetConfig, weights: inout DarknetWeights) throws {
        let net = config.net
        channels = try net.int("channels", default: 3)
        inputSize = (try net.int("width"), try net.int("height"))
        guard channels > 0, inputSize.width > 0, inputSize.height > 0 else {
            throw net.error(nil, "width, height and channels must be positive")
        }
        var built: [Section] = []
        var shapes: [[Int]] = []      // C, H, W per layer
        var strides: [Int] = []
        var yolos: [Int] = []
        var shape = [channels, inputSize.height, inputSize.width]
        var stride = 1
        for (i, section) in config.layers.enumerated() {
            func resolve(_ index: Int, _ key: String) throws -> Int {
                let j = index < 0 ? i + index : index
                guard j >= 0, j < i else {
                    throw section.error(key, "layer index \(index) resolves to \(j), outside 0..<\(i)")
                }
                if case .yolo = built[j].layer {
                    throw section.error(key, "referring to the output of a [yolo] layer (\(j)) is not supported")
                }
                return j
            }
            let layer: DarknetLayer
            switch section.type {
            case "convolutional", "conv":
                let (conv, out) = try DarknetNetwork.convolutional(section, input: shape, weights: &weights)
                layer = .convolutional(conv); stride *= shape[1] / max(1, out[1]); shape = out
            case "maxpool", "max":
                try section.rejectUnsupported(["maxpool_depth": "0", "antialiasing": "0"])
                let s = try section.int("stride", default: 1)
                let sx = try section.int("stride_x", default: s), sy = try section.int("stride_y", default: s)
                let size = try section.int("size", default: s)
                let padding = try section.int("padding", default: size - 1)
                guard size > 0, sx > 0, sy > 0, padding >= 0 else { throw section.error(nil, "size and stride must be positive, padding non-negative") }
                let outH = (shape[1] + padding - size) / sy + 1, outW = (shape[2] + padding - size) / sx + 1
                guard outH > 0, outW > 0 else { throw section.error("size", "pool of \(size) on \(shape[1])x\(shape[2]) leaves nothing") }
                layer = .maxpool(DarknetMaxPool(size: size, strideY: sy, strideX: sx, padding: padding)); stride *= sx; shape = [shape[0], outH, outW]
            case "avgpool", "avg":
                layer = .avgpool(AdaptiveAvgPool2d(outputSize: (1, 1))); shape = [shape[0], 1, 1]
            case "upsample":
                try section.rejectUnsupported(["scale": "1"])
                let s = try section.int("stride", default: 2)
                guard s >= 1 else { throw section.error("stride", "only positive (upsampling) strides are supported, got \(s)") }
                layer = .upsample(Upsample(scale: s, mode: .nearest)); stride = max(1, stride / s)
                shape = [shape[0], shape[1] * s, shape[2] * s]
            case "route":
                guard let raw = try section.ints("layers"), !raw.isEmpty else { throw section.error("layers", "route needs layers=") }
                let idx = try raw.map { try resolve($0, "layers") }
                let groups = try section.int("groups", default: 1), groupID = try section.int("group_id", default: 0)
                guard groups >= 1, groupID >= 0, groupID < groups else {
                    throw section.error("group_id", "needs 0 <= group_id < groups, got group_id=\(groupID) groups=\(groups)")
                }
                var c = 0
                for j in idx {
                    let s = shapes[j]
                    guard s[1] == shapes[idx[0]][1], s[2] == shapes[idx[0]][2] else {
                        throw section.error("layers", "layer \(j) is \(s[1])x\(s[2]) but layer \(idx[0]) is \(shapes[idx[0]][1])x\(shapes[idx[0]][2]): cannot concatenate")
                    }
                    guard s[0] % groups == 0 else { throw section.error("groups", "layer \(j) has \(s[0]) channels, not divisible by groups=\(groups)") }
                    c += s[0] / groups
                }
                layer = .route(layers: idx, groups: groups, groupID: groupID)
                shape = [c, shapes[idx[0]][1], shapes[idx[0]][2]]; stride = strides[idx[0]]
            case "shortcut":
                try section.rejectUnsupported(["weights_type": "none", "weights_normalization": "none"])
                guard let raw = try section.ints("from"), !raw.isEmpty else { throw section.error("from", "shortcut needs from=") }
                let idx = try raw.map { try resolve($0, "from") }
                for j in idx where shapes[j] != shape {
                    throw section.error("from", "layer \(j) has shape \(shapes[j]) but the previous layer has \(shape): darknet's mismatched-shape shortcut is not supported")
                }
                layer = .shortcut(from: idx, activation: try DarknetNetwork.activation(section))
            case "dropout":
                layer = .dropout
            case "yolo":
                let classes = try section.int("classes", default: 20)
                let all = try section.floats("anchors") ?? []
                guard all.count % 2 == 0 else { throw section.error("anchors", "needs an even number of values, got \(all.count)") }
                let num = try section.int("num", default: all.count / 2)
                guard num == all.count / 2 else { throw section.error("num", "num=\(num) but anchors lists \(all.count / 2) pairs") }
                let mask = try section.ints("mask") ?? Array(0..<num)
                for m in mask where m < 0 || m >= num { throw section.error("mask", "mask index \(m) outside 0..<\(num)") }
                guard classes > 0, !mask.isEmpty else { throw section.error("classes", "needs classes > 0 and at least one anchor") }
                let head = YoloLayer(anchors: mask.map { (all[2 * $0], all[2 * $0 + 1]) }, classes: classes,
                                     scaleXY: try section.float("scale_x_y", default: 1),
                                     newCoords: try section.int("new_coords", default: 0) != 0)
                guard shape[0] == head.inputChannels else {
                    throw section.error(nil, "the previous layer has \(shape[0]) channels but \(mask.count) anchors × (5 + \(classes) classes) need \(head.inputChannels)")
                }
                layer = .yolo(head); yolos.append(i)
                shape = [shape[1] * shape[2] * mask.count, 5 + classes, 1]
            default:
                throw DarknetError.unsupportedSection(location: section.location)
            }
            built.append(Section(layer: layer, location: section.location, outputShape: shape))
            shapes.append(shape); strides.append(stride)
        }
        guard !yolos.isEmpty else {
            throw DarknetError.invalidOption(location: config.source, message: "the cfg has no [yolo] layer")
        }
        try weights.finish()
        sections = built
        yoloIndices = yolos
        maxStride = max(1, strides.max() ?? 1)
    }

    /// Loads `cfg` and `weights` files.
    public convenience init(cfg: URL, weights: URL) throws {
        let config = try DarknetConfig(contentsOf: cfg)
        var w = try DarknetWeights(contentsOf: weights)
        try self.init(config: config, weights: &w)
    }

    /// The number of Float32 values a `.weights` file for `config` must hold (after the header).
    public static func requiredFloatCount(_ config: DarknetConfig) throws -> Int {
        var counter = DarknetWeights(synthetic: { _ in 0 })
        _ = try DarknetNetwork(config: config, weights: &counter)
        return counter.position
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

    /// Builds a `[convolutional]` section and reads its weights (darknet order: biases, [scales, mean, variance],
    /// weights `n, c/groups, size, size`). Returns the conv and its output shape `C, H, W`.
    static func convolutional(_ s: DarknetSection, input: [Int], weights: inout DarknetWeights) throws -> (Conv2d, [Int]) {
        try s.rejectUnsupported(["binary": "0", "xnor": "0", "flipped": "0", "share_index": "-1000000",
                                 "deform": "0", "antialiasing": "0", "assisted_excitation": "0", "sway": "0",
                                 "rotate": "0", "stretch": "0", "stretch_sway": "0", "coordconv": "0"])
        let n = try s.int("filters", default: 1)
        let size = try s.int("size", default: 1)
        let stride = try s.int("stride", default: 1)
        let sx = try s.int("stride_x", default: stride), sy = try s.int("stride_y", default: stride)
        let groups = try s.int("groups", default: 1)
        var dilation = try s.int("dilation", default: 1)
        if size == 1 { dilation = 1 }
        let pad = try s.int("pad", default: 0)
        var padding = try s.int("padding", default: 0)
        if pad != 0 { padding = size / 2 }
        let bn = try s.int("batch_normalize", default: 0) != 0
        let act = try activation(s)
        let c = input[0]
        guard n > 0, size > 0, sx > 0, sy > 0, dilation > 0, padding >= 0 else {
            throw s.error(nil, "filters, size, stride and dilation must be positive")
        }
        guard groups >= 1, c % groups == 0, n % groups == 0 else {
            throw s.error("groups", "groups=\(groups) must divide the input channels (\(c)) and filters (\(n))")
        }
        // darknet applies `padding` scaled by the dilation (im2col_cpu_ext(pad * dilation, dilation)).
        let p = padding * dilation
        let ek = dilation * (size - 1) + 1
        let outH = (input[1] + 2 * p - ek) / sy + 1, outW = (input[2] + 2 * p - ek) / sx + 1
        guard outH > 0, outW > 0 else {
            throw DarknetError.shapeMismatch(location: s.location, message: "a \(size)x\(size) convolution on \(input[1])x\(input[2]) leaves nothing")
        }
        var conv = Conv2d(inChannels: c, outChannels: n, kernel: (size, size), stride: (sy, sx),
                          padding: Padding(p), dilation: (dilation, dilation), groups: groups,
                          bias: true, activation: act)
        let what = s.location
        let biases = try weights.take(n, for: "\(what) biases")
        if bn {
            // Batch-norm epsilon: darknet's forks differ (pjreddie: x / (sqrt(var) + 1e-6), AlexeyAB:
            // x / sqrt(var + 1e-5)); we use OpenCV DNN's darknet importer, sqrt(var + 1e-6), which the parity
            // fixtures check (1e-5 shifts yolov3-tiny's logits by ~4e-3).
            var norm = BatchNorm2d(channels: n, eps: 1e-6)
            try weights.take(n, into: norm.weight.pointer, for: "\(what) scales")
            try weights.take(n, into: norm.runningMean.pointer, for: "\(what) rolling_mean")
            try weights.take(n, into: norm.runningVar.pointer, for: "\(what) rolling_variance")
            norm.bias = Tensor(shape: [n], data: biases)
            try weights.take(conv.weight.count, into: conv.weight.pointer, for: "\(what) weights")
            conv.bias = Tensor(zeros: [n])
            conv.foldBatchNorm(norm)
        } else {
            try weights.take(conv.weight.count, into: conv.weight.pointer, for: "\(what) weights")
            conv.bias = Tensor(shape: [n], data: biases)
        }
        return (conv, [n, outH, outW])
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
        guard input.count == 4, input[1] == channels, input[2] > 0, input[3] > 0 else {
            throw DarknetError.shapeMismatch(location: "input", message: "expects N, \(channels), H, W; got \(input)")
        }
        var out: [[Int]] = []
        var x = input
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
            out.append(y); x = y
        }
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
            case .dropout:
                outputs.append(i == 0 ? Tensor(zeros: shapes[i]) : outputs[i - 1])
            case .route(let layers, let groups, _) where layers.count == 1 && groups == 1:
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
        try run(input, plan: plan, layerTimes: layerTimes)
        return yoloIndices.map { plan.outputs[$0] }
    }

    /// Every layer's output from the last `forward` with this input shape (for parity tests and debugging).
    public func layerOutputs(for inputShape: [Int]) throws -> [Tensor] {
        lock.lock(); defer { lock.unlock() }
        return try plan(for: inputShape).outputs
    }

    /// Runs every layer in order; between layers, stops with `Interrupted` if the caller's flag was raised.
    private func run(_ input: Tensor, plan: Plan, layerTimes: UnsafeMutablePointer<Double>?) throws {
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
            case .yolo(let head): head.decode(x, networkSize: netSize, into: y)
            }
            if let layerTimes { layerTimes[i] += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 }
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
