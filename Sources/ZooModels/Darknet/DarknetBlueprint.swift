import Foundation
import ZooNN

/// The ranges of darknet cfg options and the memory budget of a network, checked before anything is allocated.
///
/// Each range is far wider than any published darknet model (yolov4/yolov7 use `size` ≤ 7, `stride` ≤ 2,
/// `filters` ≤ 2048, ≤ 9 anchors, ≤ 9000 classes) and narrow enough that no product of them overflows an `Int`.
public enum DarknetLimits {
    /// `[net] width`, `height`.
    public static let inputSide = 1...8192
    /// `[net] channels`.
    public static let channels = 1...64
    /// `[convolutional] filters`.
    public static let filters = 1...16384
    /// Kernel `size` of convolutions and max pools.
    public static let kernel = 1...64
    /// `stride`, `stride_x`, `stride_y` of convolutions and pools; `[upsample] stride`.
    public static let stride = 1...64
    /// `dilation`.
    public static let dilation = 1...64
    /// `padding` (pixels).
    public static let padding = 0...128
    /// `[yolo] classes`.
    public static let classes = 1...10000
    /// `[yolo] num` (anchor count) and the number of `mask` entries.
    public static let anchors = 1...64
    /// One anchor side in network-input pixels.
    public static let anchorSide: ClosedRange<Float> = 0.001...100_000
    /// `[yolo] scale_x_y`.
    public static let scaleXY: ClosedRange<Float> = 0.001...16
    /// Entries of `[route] layers` / `[shortcut] from`.
    public static let inputsPerLayer = 1...64
    /// Height or width of any layer output, and channels of any layer output.
    public static let maxSide = 1 << 16, maxChannels = 1 << 20
    /// Memory of a forward pass (every planned layer output plus the largest convolution scratch buffer), bytes.
    public static let maxActivationBytes = 8 << 30
}

/// A darknet cfg validated and sized without allocating: every numeric option checked against `DarknetLimits`,
/// every layer's output shape `C, H, W` at the cfg's input size, the weight floats each section reads (in file
/// order, by field), and the total parameters and forward-pass memory checked against their budgets.
/// `DarknetNetwork.init` builds from it only after the weights file is known to hold exactly `floatCount` floats.
struct DarknetBlueprint {
    struct Conv {
        var inChannels: Int, filters: Int, size: Int, strideY: Int, strideX: Int, groups: Int, dilation: Int
        /// Padding in pixels, already scaled by the dilation (darknet's `im2col_cpu_ext(pad * dilation, …)`).
        var padding: Int
        var batchNorm: Bool
        var activation: Activation
        var weightCount: Int { filters * (inChannels / groups) * size * size }
        /// The floats darknet stores, in order: biases, [scales, rolling_mean, rolling_variance,] weights.
        var fields: [(String, Int)] {
            (batchNorm ? [("biases", filters), ("scales", filters), ("rolling_mean", filters), ("rolling_variance", filters)]
                       : [("biases", filters)]) + [("weights", weightCount)]
        }
    }

    enum Kind {
        case convolutional(Conv)
        case maxpool(size: Int, strideY: Int, strideX: Int, padding: Int)
        case avgpool
        case upsample(Int)
        case route(layers: [Int], groups: Int, groupID: Int)
        case shortcut(from: [Int], activation: Activation)
        case dropout
        case yolo(YoloLayer)
    }

    struct Layer {
        var kind: Kind
        var section: DarknetSection
        /// `C, H, W` at the cfg's input size (`[yolo]`: `rows, 5 + C, 1`).
        var outputShape: [Int]
        var stride: Int
    }

    let source: String
    let channels: Int
    let inputSize: (width: Int, height: Int)
    let layers: [Layer]
    /// Float32 values the `.weights` file must hold after its header.
    let floatCount: Int
    let yoloIndices: [Int]

    init(_ config: DarknetConfig) throws {
        source = config.source
        let net = config.net
        channels = try net.int("channels", default: 3, in: DarknetLimits.channels)
        inputSize = (try net.int("width", in: DarknetLimits.inputSide), try net.int("height", in: DarknetLimits.inputSide))
        var layers: [Layer] = []
        var yolos: [Int] = []
        var floats = 0
        var shape = [channels, inputSize.height, inputSize.width]
        var stride = 1
        // One walk: each layer is range-checked, sized and added to the memory budget in turn.
        var budget = ActivationBudget(at: "\(config.source) at its input size \(inputSize.width)x\(inputSize.height)")
        for (i, section) in config.layers.enumerated() {
            let input = shape
            func resolve(_ key: String) throws -> [Int] {
                guard let raw = try section.ints(key), !raw.isEmpty else { throw section.error(key, "\(section.type) needs \(key)=") }
                guard DarknetLimits.inputsPerLayer.contains(raw.count) else {
                    throw section.error(key, "\(raw.count) layers listed, at most \(DarknetLimits.inputsPerLayer.upperBound)")
                }
                return try raw.map { index in
                    let (j, o) = index < 0 ? i.addingReportingOverflow(index) : (index, false)
                    guard !o, j >= 0, j < i else {
                        throw section.error(key, "layer index \(index) resolves to \(o ? "nothing" : "\(j)"), outside 0..<\(i)")
                    }
                    if case .yolo = layers[j].kind {
                        throw section.error(key, "referring to the output of a [yolo] layer (\(j)) is not supported")
                    }
                    return j
                }
            }
            if let previous = layers.last, case .yolo = previous.kind, section.type != "route" {
                throw DarknetError.invalidOption(location: section.location, message: "a [\(section.type)] directly after a [yolo] layer is not supported (only [route] may follow one)")
            }
            let kind: Kind
            switch section.type {
            case "convolutional", "conv":
                let conv = try Self.convolutional(section, input: shape)
                let ek = conv.dilation * (conv.size - 1) + 1
                let outH = (shape[1] + 2 * conv.padding - ek) / conv.strideY + 1
                let outW = (shape[2] + 2 * conv.padding - ek) / conv.strideX + 1
                guard shape[1] + 2 * conv.padding >= ek, shape[2] + 2 * conv.padding >= ek, outH > 0, outW > 0 else {
                    throw DarknetError.shapeMismatch(location: section.location, message: "a \(conv.size)x\(conv.size) convolution on \(shape[1])x\(shape[2]) leaves nothing")
                }
                kind = .convolutional(conv)
                stride *= shape[1] / outH
                shape = [conv.filters, outH, outW]
                for (_, n) in conv.fields {
                    let (sum, o) = floats.addingReportingOverflow(n)
                    guard !o, sum <= WeightLimits.maxParameters else {
                        throw section.error("filters", "the network would have more than \(WeightLimits.maxParameters) parameters")
                    }
                    floats = sum
                }
            case "maxpool", "max":
                try section.rejectUnsupported(["maxpool_depth": "0", "antialiasing": "0"])
                let s = try section.int("stride", default: 1, in: DarknetLimits.stride)
                let sx = try section.int("stride_x", default: s, in: DarknetLimits.stride)
                let sy = try section.int("stride_y", default: s, in: DarknetLimits.stride)
                let size = try section.int("size", default: s, in: DarknetLimits.kernel)
                let padding = try section.int("padding", default: size - 1, in: DarknetLimits.padding)
                let outH = (shape[1] + padding - size) / sy + 1, outW = (shape[2] + padding - size) / sx + 1
                guard shape[1] + padding >= size, shape[2] + padding >= size, outH > 0, outW > 0 else {
                    throw section.error("size", "pool of \(size) on \(shape[1])x\(shape[2]) leaves nothing")
                }
                kind = .maxpool(size: size, strideY: sy, strideX: sx, padding: padding)
                stride *= sx
                shape = [shape[0], outH, outW]
            case "avgpool", "avg":
                kind = .avgpool
                shape = [shape[0], 1, 1]
            case "upsample":
                try section.rejectUnsupported(["scale": "1"])
                let s = try section.int("stride", default: 2, in: DarknetLimits.stride)
                kind = .upsample(s)
                stride = max(1, stride / s)
                shape = [shape[0], shape[1] * s, shape[2] * s]
            case "route":
                let idx = try resolve("layers")
                let groups = try section.int("groups", default: 1, in: 1...DarknetLimits.maxChannels)
                let groupID = try section.int("group_id", default: 0, in: 0...DarknetLimits.maxChannels)
                guard groupID < groups else {
                    throw section.error("group_id", "needs 0 <= group_id < groups, got group_id=\(groupID) groups=\(groups)")
                }
                var c = 0
                let first = layers[idx[0]].outputShape
                for j in idx {
                    let s = layers[j].outputShape
                    guard s[1] == first[1], s[2] == first[2] else {
                        throw section.error("layers", "layer \(j) is \(s[1])x\(s[2]) but layer \(idx[0]) is \(first[1])x\(first[2]): cannot concatenate")
                    }
                    guard s[0] % groups == 0 else { throw section.error("groups", "layer \(j) has \(s[0]) channels, not divisible by groups=\(groups)") }
                    c += s[0] / groups
                }
                kind = .route(layers: idx, groups: groups, groupID: groupID)
                shape = [c, first[1], first[2]]
                stride = layers[idx[0]].stride
            case "shortcut":
                try section.rejectUnsupported(["weights_type": "none", "weights_normalization": "none"])
                let idx = try resolve("from")
                for j in idx where layers[j].outputShape != shape {
                    throw section.error("from", "layer \(j) has shape \(layers[j].outputShape) but the previous layer has \(shape): darknet's mismatched-shape shortcut is not supported")
                }
                kind = .shortcut(from: idx, activation: try DarknetNetwork.activation(section))
            case "dropout":
                kind = .dropout
            case "yolo":
                let head = try Self.yolo(section)
                guard shape[0] == head.inputChannels else {
                    throw section.error(nil, "the previous layer has \(shape[0]) channels but \(head.anchors.count) anchors × (5 + \(head.classes) classes) need \(head.inputChannels)")
                }
                kind = .yolo(head)
                yolos.append(i)
                shape = [shape[1] * shape[2] * head.anchors.count, 5 + head.classes, 1]
            default:
                throw DarknetError.unsupportedSection(location: section.location)
            }
            if case .yolo = kind {} else {
                guard shape[0] <= DarknetLimits.maxChannels, shape[1] <= DarknetLimits.maxSide, shape[2] <= DarknetLimits.maxSide else {
                    throw DarknetError.shapeMismatch(location: section.location, message: "output \(shape) (C, H, W) is over the limits of \(DarknetLimits.maxChannels) channels and \(DarknetLimits.maxSide) pixels")
                }
            }
            layers.append(Layer(kind: kind, section: section, outputShape: shape, stride: stride))
            var scratch: [Int]?
            if case .convolutional(let c) = kind {
                scratch = Self.scratch(size: c.size, strideX: c.strideX, strideY: c.strideY, groups: c.groups,
                                       input: [1] + input, output: [1] + shape)
            }
            budget.add(output: [1] + shape, aliased: Self.isAlias(kind, at: i), scratch: scratch)
        }
        guard !yolos.isEmpty else {
            throw DarknetError.invalidOption(location: config.source, message: "the cfg has no [yolo] layer")
        }
        try budget.finish()
        self.layers = layers
        floatCount = floats
        yoloIndices = yolos
    }

    /// The parameters of a `[convolutional]` section on an input of `input` (`C, H, W`), range-checked.
    static func convolutional(_ s: DarknetSection, input: [Int]) throws -> Conv {
        try s.rejectUnsupported(["binary": "0", "xnor": "0", "flipped": "0", "share_index": "-1000000",
                                 "deform": "0", "antialiasing": "0", "assisted_excitation": "0", "sway": "0",
                                 "rotate": "0", "stretch": "0", "stretch_sway": "0", "coordconv": "0"])
        let n = try s.int("filters", default: 1, in: DarknetLimits.filters)
        let size = try s.int("size", default: 1, in: DarknetLimits.kernel)
        let stride = try s.int("stride", default: 1, in: DarknetLimits.stride)
        let sx = try s.int("stride_x", default: stride, in: DarknetLimits.stride)
        let sy = try s.int("stride_y", default: stride, in: DarknetLimits.stride)
        let groups = try s.int("groups", default: 1, in: 1...DarknetLimits.filters.upperBound)
        var dilation = try s.int("dilation", default: 1, in: DarknetLimits.dilation)
        if size == 1 { dilation = 1 }
        let pad = try s.int("pad", default: 0, in: 0...1)
        var padding = try s.int("padding", default: 0, in: DarknetLimits.padding)
        if pad != 0 { padding = size / 2 }
        let bn = try s.int("batch_normalize", default: 0, in: 0...1) != 0
        let act = try DarknetNetwork.activation(s)
        let c = input[0]
        guard c % groups == 0, n % groups == 0 else {
            throw s.error("groups", "groups=\(groups) must divide the input channels (\(c)) and filters (\(n))")
        }
        return Conv(inChannels: c, filters: n, size: size, strideY: sy, strideX: sx, groups: groups, dilation: dilation,
                    padding: padding * dilation, batchNorm: bn, activation: act)
    }

    /// A `[yolo]` head, range-checked: classes, anchors (an even count of positive sides), num, mask, scale_x_y.
    static func yolo(_ section: DarknetSection) throws -> YoloLayer {
        let classes = try section.int("classes", default: 20, in: DarknetLimits.classes)
        let all = try section.floats("anchors") ?? []
        guard all.count % 2 == 0 else { throw section.error("anchors", "needs an even number of values, got \(all.count)") }
        guard DarknetLimits.anchors.contains(all.count / 2) else {
            throw section.error("anchors", "\(all.count / 2) anchor pairs, needs \(DarknetLimits.anchors.lowerBound)...\(DarknetLimits.anchors.upperBound)")
        }
        for a in all where !DarknetLimits.anchorSide.contains(a) {
            throw section.error("anchors", "anchor side \(a) is outside \(DarknetLimits.anchorSide.lowerBound)...\(DarknetLimits.anchorSide.upperBound)")
        }
        let num = try section.int("num", default: all.count / 2, in: DarknetLimits.anchors)
        guard num == all.count / 2 else { throw section.error("num", "num=\(num) but anchors lists \(all.count / 2) pairs") }
        let mask = try section.ints("mask") ?? Array(0..<num)
        for m in mask where m < 0 || m >= num { throw section.error("mask", "mask index \(m) outside 0..<\(num)") }
        guard DarknetLimits.anchors.contains(mask.count) else {
            throw section.error("mask", "\(mask.count) mask entries, needs \(DarknetLimits.anchors.lowerBound)...\(DarknetLimits.anchors.upperBound)")
        }
        return YoloLayer(anchors: mask.map { (all[2 * $0], all[2 * $0 + 1]) }, classes: classes,
                         scaleXY: try section.float("scale_x_y", default: 1, in: DarknetLimits.scaleXY),
                         newCoords: try section.int("new_coords", default: 0, in: 0...1) != 0)
    }

    /// The memory of a forward pass, summed one layer at a time: every layer output that is not aliased to
    /// another (dropout after the first layer, single-input ungrouped route) plus the largest convolution scratch
    /// buffer (im2col: `N, C/groups · k², outH, outW`), against `DarknetLimits.maxActivationBytes`. `finish`
    /// throws if it is over (after the walk, so that a layer's own error is reported first, as before).
    struct ActivationBudget {
        let what: String
        private var floats = 0, largestScratch = 0, over = false
        private let limit = DarknetLimits.maxActivationBytes / 4

        init(at what: String) { self.what = what }

        /// One layer's output (`N, …`), whether it aliases another's buffer, and its scratch dims if it has one.
        mutating func add(output: [Int], aliased: Bool, scratch: [Int]?) {
            guard !over else { return }
            if let dims = scratch {
                guard let n = WeightLimits.elementCount(dims, limit: limit) else { over = true; return }
                largestScratch = max(largestScratch, n)
            }
            if aliased { return }
            guard let n = WeightLimits.elementCount(output, limit: limit) else { over = true; return }
            floats += n
            if floats > limit { over = true }
        }

        func finish() throws {
            guard !over, floats + largestScratch <= limit else {
                throw DarknetError.shapeMismatch(location: what, message: "a forward pass needs more than \(DarknetLimits.maxActivationBytes >> 20) MiB of layer outputs and scratch (DarknetLimits.maxActivationBytes)")
            }
        }
    }

    /// Whether layer `i` of this kind reuses another layer's buffer instead of its own (see `DarknetNetwork.plan`).
    static func isAlias(_ kind: Kind, at i: Int) -> Bool {
        switch kind {
        case .dropout: return i > 0
        case .route(let l, let g, _): return l.count == 1 && g == 1
        default: return false
        }
    }

    /// The im2col scratch dims of a convolution on `input` (`N, C, H, W`) giving `output`, nil for 1×1 stride 1.
    static func scratch(size: Int, strideX: Int, strideY: Int, groups: Int, input: [Int], output: [Int]) -> [Int]? {
        guard size > 1 || strideX > 1 || strideY > 1 else { return nil }
        return [input[0], input[1] / groups, size, size, output[2], output[3]]
    }
}
