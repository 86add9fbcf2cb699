/// The per-output-channel tail of a convolution, fused into the kernel: `y = act(y + bias[c])`, or with a
/// PReLU slope `y = max(y, 0) + slope[c] * min(y, 0)` instead of `act`.
///
/// Holds raw pointers borrowed from the layer's tensors for the duration of one forward call.
public struct ConvEpilogue {
    public var bias: UnsafePointer<Float>?
    public var activation: Activation
    public var preluSlope: UnsafePointer<Float>?

    public init(bias: UnsafePointer<Float>? = nil, activation: Activation = .linear, preluSlope: UnsafePointer<Float>? = nil) {
        self.bias = bias; self.activation = activation; self.preluSlope = preluSlope
    }

    /// True when the epilogue changes nothing.
    @inlinable public var isIdentity: Bool { bias == nil && activation == .linear && preluSlope == nil }

    /// Applies the epilogue of output channel `channel` to `count` contiguous values at `p`.
    @inlinable
    public func apply(channel: Int, _ p: UnsafeMutablePointer<Float>, count: Int) {
        let b = bias?[channel] ?? 0
        if let s = preluSlope {
            VectorMath.biasPReLU(p, count: count, bias: b, slope: s[channel])
        } else {
            VectorMath.biasActivate(p, count: count, bias: b, activation)
        }
    }
}
