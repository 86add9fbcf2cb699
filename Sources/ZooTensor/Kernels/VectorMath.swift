import Foundation

/// Vectorised (8-wide SIMD) element-wise math used by activations and fused epilogues.
///
/// `exp` is a Cephes-style range reduction + degree-6 polynomial (max relative error ≈ 2e-7 on
/// [-87, 88]); the transcendental activations are built on it. The scalar `Activation.apply(_:)`
/// is their naive reference.
public enum VectorMath {
    public typealias V = SIMD8<Float>

    @inline(__always) @usableFromInline
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) @usableFromInline
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// e^x, lane-wise; inputs are clamped to [-87.3, 88.3] (no infinities, no denormals).
    @inlinable @inline(__always)
    public static func exp(_ v: V) -> V {
        var x = v.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 88.3))
        let n = (x * 1.442_695_04).rounded(.toNearestOrEven)
        x = x - n * 0.693_359_375
        x = x + n * 2.121_944_4e-4
        var y = V(repeating: 1.987_569_15e-4)
        y = y * x + 1.398_199_95e-3
        y = y * x + 8.333_451_9e-3
        y = y * x + 4.166_579_59e-2
        y = y * x + 1.666_666_55e-1
        y = y * x + 5.000_000_12e-1
        y = y * (x * x) + x + 1
        let e = (SIMD8<Int32>(n, rounding: .towardZero) &+ 127) &<< 23
        return y * unsafeBitCast(e, to: V.self)
    }

    /// 1 / (1 + e^-x).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: V) -> V { 1 / (1 + exp(-x)) }

    /// tanh(x) = 1 - 2 / (e^2x + 1) (saturates correctly at both ends).
    @inlinable @inline(__always)
    public static func tanh(_ x: V) -> V { 1 - 2 / (exp(x + x) + 1) }

    /// x · tanh(softplus(x)) with PyTorch's softplus threshold 20: with u = e^x, tanh(log1p(u)) = u(u+2) / (u(u+2) + 2).
    @inlinable @inline(__always)
    public static func mish(_ x: V) -> V {
        let u = exp(x.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 20)))
        let n = u * (u + 2)
        let r = x * n / (n + 2)
        return r.replacing(with: x, where: x .> 20)
    }

    /// erf(x), Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7).
    @inlinable @inline(__always)
    public static func erf(_ x: V) -> V {
        let a = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p = V(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let r = 1 - p * t * exp(-(a * a))
        return r.replacing(with: -r, where: x .< 0)
    }

    /// Exact (erf) GELU: 0.5 x (1 + erf(x / √2)).
    @inlinable @inline(__always)
    public static func gelu(_ x: V) -> V { 0.5 * x * (1 + erf(x * 0.707_106_781_186_547_5)) }

    /// Applies `f` to `count` floats at `p` after adding `bias`; the tail runs through the same SIMD code
    /// (zero-padded), so every element gets bit-identical math.
    @inlinable @inline(__always)
    static func map(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float, _ f: (V) -> V) {
        let b = V(repeating: bias)
        var i = 0
        while i + 8 <= count { store(f(load(p + i) + b), p + i); i += 8 }
        if i < count {
            var t = V(repeating: 0)
            for j in 0..<(count - i) { t[j] = p[i + j] }
            let r = f(t + b)
            for j in 0..<(count - i) { p[i + j] = r[j] }
        }
    }

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
        case .sigmoid: map(p, count: count, bias: bias) { sigmoid($0) }
        case .silu: map(p, count: count, bias: bias) { $0 * sigmoid($0) }
        case .tanh: map(p, count: count, bias: bias) { tanh($0) }
        case .mish: map(p, count: count, bias: bias) { mish($0) }
        case .gelu: map(p, count: count, bias: bias) { gelu($0) }
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
