import Foundation

/// Vectorised element-wise math used by activations and fused epilogues, plus 8-wide SIMD load/store helpers.
///
/// `exp` is a Cephes-style range reduction + degree-6 polynomial (max relative error ≈ 2e-7 on [-87, 88]);
/// the transcendental activations are built on it and written so the compiler vectorises their loops.
/// The libm-based `Activation.apply(_:)` is their naive reference.
public enum VectorMath {
    public typealias V = SIMD8<Float>

    @inline(__always) @usableFromInline
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) @usableFromInline
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    // The transcendental functions below are scalar, branch-free formulas (min/max selects, a magic-number
    // round, an integer exponent shift) so that LLVM auto-vectorises the loops that call them. (The generic SIMD
    // helpers `rounded`, `clamped`, `replacing` compile to per-lane generic code and run ~100× slower.)

    /// e^x with the input clamped to [-87.3, 88.3]: n = round(x·log2 e) via the 1.5·2²³ trick, Cody–Waite
    /// reduction, Cephes degree-6 polynomial, 2ⁿ by building the exponent bits. Max relative error ≈ 2e-7.
    @inlinable @inline(__always)
    public static func exp(_ v: Float) -> Float {
        let x0 = Swift.min(Swift.max(v, -87.3), 88.3)
        let magic: Float = 12_582_912  // 1.5 · 2^23: adding it rounds to an integer (round-to-nearest-even)
        let t = x0 * 1.442_695_04 + magic
        let n = t - magic
        let ni = Int32(bitPattern: t.bitPattern &- magic.bitPattern)
        var x = x0 - n * 0.693_359_375
        x = x + n * 2.121_944_4e-4
        var y: Float = 1.987_569_15e-4
        y = y * x + 1.398_199_95e-3
        y = y * x + 8.333_451_9e-3
        y = y * x + 4.166_579_59e-2
        y = y * x + 1.666_666_55e-1
        y = y * x + 5.000_000_12e-1
        y = y * (x * x) + x + 1
        return y * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
    }

    /// 1 / (1 + e^-x).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh(x) = 1 - 2 / (e^2x + 1) (saturates correctly at both ends).
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float { 1 - 2 / (exp(x + x) + 1) }

    /// x · tanh(softplus(x)) with PyTorch's softplus threshold 20: with u = e^x, tanh(log1p(u)) = u(u+2) / (u(u+2) + 2).
    @inlinable @inline(__always)
    public static func mish(_ x: Float) -> Float {
        let u = exp(Swift.min(x, 20))
        let n = u * (u + 2)
        let r = x * n / (n + 2)
        return x > 20 ? x : r
    }

    /// erf(x), Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7).
    @inlinable @inline(__always)
    public static func erf(_ x: Float) -> Float {
        let a = Swift.abs(x)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p: Float = 1.061_405_429
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let r = 1 - p * t * exp(-(a * a))
        return x < 0 ? -r : r
    }

    /// Exact (erf) GELU: 0.5 x (1 + erf(x / √2)).
    @inlinable @inline(__always)
    public static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erf(x * 0.707_106_781_186_547_5)) }

    /// `p[i] = act(p[i] + bias)` for `count` floats.
    @inlinable
    public static func biasActivate(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float, _ act: Activation) {
        switch act {
        case .linear:
            if bias != 0 { for i in 0..<count { p[i] += bias } }
        case .relu:
            for i in 0..<count { p[i] = Swift.max(p[i] + bias, 0) }
        case .leaky(let a):
            for i in 0..<count { let v = p[i] + bias; p[i] = v > 0 ? v : a * v }
        case .relu6:
            for i in 0..<count { p[i] = Swift.min(Swift.max(p[i] + bias, 0), 6) }
        case .hardswish:
            for i in 0..<count { let v = p[i] + bias; p[i] = v * Swift.min(Swift.max(v + 3, 0), 6) * (1 / 6 as Float) }
        case .sigmoid: for i in 0..<count { p[i] = sigmoid(p[i] + bias) }
        case .silu: for i in 0..<count { let v = p[i] + bias; p[i] = v * sigmoid(v) }
        case .tanh: for i in 0..<count { p[i] = tanh(p[i] + bias) }
        case .mish: for i in 0..<count { p[i] = mish(p[i] + bias) }
        case .gelu: for i in 0..<count { p[i] = gelu(p[i] + bias) }
        }
    }

    /// `y = max(v, 0) + slope * min(v, 0)` with `v = p[i] + bias`, in place.
    @inlinable
    public static func biasPReLU(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float, slope: Float) {
        for i in 0..<count { let v = p[i] + bias; p[i] = v > 0 ? v : slope * v }
    }

    /// `y[i] = act(x[i])` for `count` floats (`x` and `y` may be equal), parallel over chunks.
    public static func activate(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, _ act: Activation) {
        Threads.parallelFor(count, minPerChunk: 1 << 15) { s, e in
            if UnsafePointer(y) != x { (y + s).update(from: x + s, count: e - s) }
            biasActivate(y + s, count: e - s, bias: 0, act)
        }
    }
}
