/// The theoretical receptive field of one element of a feature map: how many input pixels along one axis can
/// influence it (`size`), and how many input pixels apart neighbouring elements are (`jump`, the effective stride).
///
/// Arithmetic (Araujo et al., "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019), one
/// axis, square kernels: a layer with kernel `k`, stride `s` and dilation `d` maps `(size, jump)` to
/// `(size + (k − 1)·d·jump, jump·s)`. A nearest/bilinear upsample by `f` divides `jump` by `f` and keeps `size`
/// (each output element reads the input elements it did before). Where branches meet (add, concat) the field is
/// the largest `size` of the branches and their (equal, for aligned maps) `jump`. Padding changes only where
/// the field sits, not its size.
public struct ReceptiveField: Sendable, Equatable, CustomStringConvertible {
    /// Input pixels along one axis that can influence one element.
    public var size: Int
    /// Input pixels between neighbouring elements (the map's stride relative to the input).
    public var jump: Int

    public init(size: Int, jump: Int) { self.size = size; self.jump = jump }

    /// A network input: every element sees itself.
    public static let pixel = ReceptiveField(size: 1, jump: 1)

    /// After a convolution or pooling window of `kernel` taps, `stride` and `dilation`.
    public func window(kernel: Int, stride: Int = 1, dilation: Int = 1) -> ReceptiveField {
        ReceptiveField(size: size + (kernel - 1) * dilation * jump, jump: jump * stride)
    }

    /// After an upsample by `factor` (the jump cannot fall below one input pixel).
    public func upsampled(by factor: Int) -> ReceptiveField {
        ReceptiveField(size: size, jump: max(1, jump / max(1, factor)))
    }

    /// Where branches meet: the largest field, at the finest jump.
    public static func merge(_ fields: [ReceptiveField]) -> ReceptiveField {
        guard let first = fields.first else { return .pixel }
        return fields.dropFirst().reduce(first) {
            ReceptiveField(size: max($0.size, $1.size), jump: min($0.jump, $1.jump))
        }
    }

    public var description: String { "\(size) px (jump \(jump))" }
}

/// A layer whose effect on the receptive field is known. Layers that do not conform (activations, batch norm,
/// element-wise ops) leave it unchanged.
public protocol ReceptiveFieldLayer {
    func receptiveField(of input: ReceptiveField, inputShape: [Int]) -> ReceptiveField
}

/// A layer whose cost is known: multiply-accumulates for an input shape, and its parameter count.
public protocol CostedLayer {
    func multiplyAccumulates(for input: [Int]) -> Int
    var parameterCount: Int { get }
}

extension Conv2d: ReceptiveFieldLayer, CostedLayer {
    public func receptiveField(of input: ReceptiveField, inputShape: [Int]) -> ReceptiveField {
        input.window(kernel: max(kernel.0, kernel.1), stride: max(stride.0, stride.1), dilation: max(dilation.0, dilation.1))
    }
    public func multiplyAccumulates(for input: [Int]) -> Int {
        let out = outputShape(for: input)
        return out.reduce(1, *) * (inChannels / groups) * kernel.0 * kernel.1
    }
    public var parameterCount: Int { weight.count + (bias?.count ?? 0) + (prelu?.count ?? 0) }
}

extension MaxPool2d: ReceptiveFieldLayer {
    public func receptiveField(of input: ReceptiveField, inputShape: [Int]) -> ReceptiveField {
        input.window(kernel: max(kernel.0, kernel.1), stride: max(stride.0, stride.1))
    }
}

extension AvgPool2d: ReceptiveFieldLayer {
    public func receptiveField(of input: ReceptiveField, inputShape: [Int]) -> ReceptiveField {
        input.window(kernel: max(kernel.0, kernel.1), stride: max(stride.0, stride.1))
    }
}

extension Upsample: ReceptiveFieldLayer {
    public func receptiveField(of input: ReceptiveField, inputShape: [Int]) -> ReceptiveField {
        input.upsampled(by: scale ?? (inputShape.count == 4 && inputShape[2] > 0 ? size!.0 / inputShape[2] : 1))
    }
}
