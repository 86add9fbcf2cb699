/// Shapes of a 2-D pooling window sliding over an `N, C, H, W` input (PyTorch output-size rules).
///
/// `out = floor_or_ceil((in + padBefore + padAfter - k) / stride) + 1`; with `ceilMode`, a last window that
/// would start inside the right/bottom padding only is dropped (it must start inside the input or the left padding).
public struct Pool2dGeometry: Equatable, Sendable {
    public var batch: Int, channels: Int, inH: Int, inW: Int
    public var kH: Int, kW: Int, strideH: Int, strideW: Int
    public var padding: Padding
    public var ceilMode: Bool

    public init(input shape: [Int], kernel: (Int, Int), stride: (Int, Int), padding: Padding, ceilMode: Bool) {
        precondition(shape.count == 4, "pooling needs N, C, H, W input, got \(shape)")
        precondition(kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0, "kernel and stride must be positive")
        batch = shape[0]; channels = shape[1]; inH = shape[2]; inW = shape[3]
        kH = kernel.0; kW = kernel.1; strideH = stride.0; strideW = stride.1
        self.padding = padding; self.ceilMode = ceilMode
    }

    static func outSize(_ n: Int, _ k: Int, _ s: Int, _ before: Int, _ after: Int, _ ceil: Bool) -> Int {
        let span = n + before + after - k
        if span < 0 { return 0 }
        var out = (ceil ? (span + s - 1) / s : span / s) + 1
        if ceil && (out - 1) * s >= n + before { out -= 1 }
        return out
    }

    public var outH: Int { Self.outSize(inH, kH, strideH, padding.top, padding.bottom, ceilMode) }
    public var outW: Int { Self.outSize(inW, kW, strideW, padding.left, padding.right, ceilMode) }
    /// `N, C, outH, outW`.
    public var outputShape: [Int] { [batch, channels, outH, outW] }
}
