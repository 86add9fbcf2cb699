import Foundation

/// Element-wise activation functions, usable standalone or fused into a convolution's epilogue.
/// Formulas follow PyTorch (`torch.nn.*`); `.leaky(slope)` is darknet's `leaky` with slope 0.1.
public enum Activation: Sendable, Equatable, Hashable {
    case linear
    case relu
    case leaky(Float)
    case relu6
    case silu
    case mish
    case sigmoid
    case tanh
    case hardswish
    /// GELU, exact (erf) form as `torch.nn.GELU()`.
    case gelu

    /// Scalar reference formula (the naive reference for the vectorised kernels).
    @inlinable
    public func apply(_ x: Float) -> Float {
        switch self {
        case .linear: return x
        case .relu: return x > 0 ? x : 0
        case .leaky(let a): return x > 0 ? x : a * x
        case .relu6: return Swift.min(Swift.max(x, 0), 6)
        case .silu: return x / (1 + Foundation.exp(-x))
        case .mish:
            // softplus with PyTorch's threshold of 20
            let sp: Float = x > 20 ? x : Foundation.log1p(Foundation.exp(x))
            return x * Foundation.tanh(sp)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .hardswish: return x * Swift.min(Swift.max(x + 3, 0), 6) / 6
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x / Float(2).squareRoot()))
        }
    }

    /// Applies the activation in place to `count` elements starting at `p`.
    @inlinable
    public func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .linear: return
        case .relu: for i in 0..<count where p[i] < 0 { p[i] = 0 }
        case .leaky(let a): for i in 0..<count { let v = p[i]; p[i] = v > 0 ? v : a * v }
        default: for i in 0..<count { p[i] = apply(p[i]) }
        }
    }
}
