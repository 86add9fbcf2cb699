/// Shapes and hyper-parameters of one 2-D convolution over an `N, C, H, W` input.
///
/// Weight layout is `[outChannels, inChannels / groups, kH, kW]`; output is `N, outChannels, outH, outW` with
/// `outH = (H + top + bottom - dilationH * (kH - 1) - 1) / strideH + 1` (and likewise for `W`).
public struct ConvGeometry: Equatable, Sendable {
    public var batch: Int, inChannels: Int, inH: Int, inW: Int
    public var outChannels: Int, kH: Int, kW: Int
    public var strideH: Int, strideW: Int, dilationH: Int, dilationW: Int, groups: Int
    public var padding: Padding

    public init(batch: Int, inChannels: Int, inH: Int, inW: Int, outChannels: Int, kernel: (Int, Int),
                stride: (Int, Int) = (1, 1), padding: Padding = .zero, dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        precondition(kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0,
                     "kernel, stride and dilation must be positive")
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "groups \(groups) must divide inChannels \(inChannels) and outChannels \(outChannels)")
        self.batch = batch; self.inChannels = inChannels; self.inH = inH; self.inW = inW
        self.outChannels = outChannels; self.kH = kernel.0; self.kW = kernel.1
        self.strideH = stride.0; self.strideW = stride.1; self.dilationH = dilation.0; self.dilationW = dilation.1
        self.groups = groups; self.padding = padding
    }

    public var outH: Int { (inH + padding.top + padding.bottom - dilationH * (kH - 1) - 1) / strideH + 1 }
    public var outW: Int { (inW + padding.left + padding.right - dilationW * (kW - 1) - 1) / strideW + 1 }
    /// Input channels per group.
    public var groupInChannels: Int { inChannels / groups }
    /// Output channels per group.
    public var groupOutChannels: Int { outChannels / groups }
    /// Rows of the im2col matrix of one group: `inChannels / groups * kH * kW`.
    public var patchSize: Int { groupInChannels * kH * kW }
    /// `N, outChannels, outH, outW`.
    public var outputShape: [Int] { [batch, outChannels, outH, outW] }
    /// Multiply-adds × 2 of the whole convolution.
    public var flops: Double { 2 * Double(batch) * Double(outChannels) * Double(outH * outW) * Double(patchSize) }

    /// True for a 1×1, stride-1, unpadded convolution: the input planes are already the GEMM's `B` matrix.
    public var isPointwise: Bool { kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padding == .zero }
    /// True for a depthwise convolution with channel multiplier 1 (`groups == inChannels == outChannels`).
    public var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }
}
