import Foundation

/// 2-D convolution with fused bias + activation (or PReLU) epilogue, mirroring `torch.nn.Conv2d`.
///
/// Input `N, inChannels, H, W`; output `N, outChannels, outH, outW`; weight `[outC, inC/groups, kH, kW]`,
/// bias `[outC]` (PyTorch keys "weight", "bias"). Padding may be asymmetric (ONNX, darknet). The algorithm
/// is oneDNN's direct convolution (`DNNLConvolution`: primitive per input shape and weights packed once, both cached
/// in `weightCache`; bf16 when the workspace asks for it) with our kernels (im2col + GEMM, pointwise GEMM, direct
/// depthwise, Winograd F(4,3), chosen per shape) as the fallback; `algorithm` forces one for tests.
public struct Conv2d: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int)
    public let padding: Padding
    public let groups: Int
    /// `[outC, inC/groups, kH, kW]`.
    public var weight: Tensor
    /// `[outC]`.
    public var bias: Tensor?
    /// Fused epilogue: `y = act(conv(x) + bias)`.
    public var activation: Activation
    /// Optional fused per-channel PReLU slope `[outC]`, applied instead of `activation`.
    public var prelu: Tensor?
    /// Which kernel to run (default `.auto`).
    public var algorithm: ConvAlgorithm = .auto
    /// Transformed weights of the Winograd path, built on the first forward that uses it (shared by copies).
    let weightCache = ConvWeightCache()

    public init(inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding = .zero, dilation: (Int, Int) = (1, 1), groups: Int = 1,
                bias: Bool = true, activation: Activation = .linear) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: groups \(groups) must divide \(inChannels) and \(outChannels)")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        self.weight = Tensor(zeros: [outChannels, inChannels / groups, kernel.0, kernel.1])
        self.bias = bias ? Tensor(zeros: [outChannels]) : nil
        self.activation = activation
    }

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, activation: Activation = .linear) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernel: (kernel, kernel), stride: (stride, stride),
                  padding: Padding(padding), dilation: (dilation, dilation), groups: groups, bias: bias, activation: activation)
    }

    /// The convolution geometry for an input shape `N, C, H, W`.
    public func geometry(for input: [Int]) -> ConvGeometry {
        precondition(input.count == 4 && input[1] == inChannels,
                     "Conv2d: input \(input) is not N, \(inChannels), H, W")
        return ConvGeometry(batch: input[0], inChannels: inChannels, inH: input[2], inW: input[3], outChannels: outChannels,
                            kernel: kernel, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public func outputShape(for input: [Int]) -> [Int] { geometry(for: input).outputShape }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        let g = geometry(for: x.shape)
        // element-wise checks: building shape arrays here would allocate on every forward
        precondition(y.rank == 4 && y.shape[0] == g.batch && y.shape[1] == outChannels && y.shape[2] == g.outH && y.shape[3] == g.outW,
                     "Conv2d: output tensor has shape \(y.shape), expected \(g.outputShape)")
        precondition(weight.count == outChannels * (inChannels / groups) * kernel.0 * kernel.1, "Conv2d: weight shape \(weight.shape)")
        precondition(bias.map { $0.count == outChannels } ?? true, "Conv2d: bias must have \(outChannels) values")
        precondition(prelu.map { $0.count == outChannels } ?? true, "Conv2d: prelu must have \(outChannels) values")
        let epilogue = ConvEpilogue(bias: bias.map { UnsafePointer($0.pointer) }, activation: activation,
                                    preluSlope: prelu.map { UnsafePointer($0.pointer) })
        var resolved = Conv2dKernel.resolve(algorithm, for: g)
        if resolved == .onednn {
            let act = prelu == nil ? activation : .linear, precision = workspace.effectivePrecision
            if let (conv, packed) = weightCache.dnnl(weight, g, activation: act, bias: bias != nil, precision: precision)
                ?? (precision == .fp32 ? nil : weightCache.dnnl(weight, g, activation: act, bias: bias != nil, precision: .fp32)),
               Conv2dKernel.runDNNL(conv, weights: packed, input: x.pointer, output: y.pointer, epilogue: epilogue, workspace: workspace) {
                return
            }
            resolved = Conv2dKernel.resolve(.ownKernels, for: g)
        }
        let winograd = resolved == .winograd ? weightCache.winogradWeights(weight, g) : nil
        Conv2dKernel.run(g, input: x.pointer, weight: weight.pointer, output: y.pointer, epilogue: epilogue,
                         workspace: workspace, algorithm: resolved, winogradWeights: winograd)
    }

    /// Folds an inference BatchNorm that follows this convolution into its weight and bias (at load time):
    /// `w' = w · γ/√(σ²+ε)`, `b' = (b − μ) · γ/√(σ²+ε) + β`. Creates the bias if absent; new tensors are allocated.
    public mutating func foldBatchNorm(_ bn: BatchNorm2d) {
        precondition(bn.channels == outChannels, "foldBatchNorm: BatchNorm has \(bn.channels) channels, conv has \(outChannels)")
        let w = weight.copy(), b = Tensor(zeros: [outChannels])
        let per = w.count / outChannels
        for c in 0..<outChannels {
            let scale = bn.weight.pointer[c] / (bn.runningVar.pointer[c] + bn.eps).squareRoot()
            let wp = w.pointer + c * per
            for i in 0..<per { wp[i] *= scale }
            let b0 = bias?.pointer[c] ?? 0
            b.pointer[c] = (b0 - bn.runningMean.pointer[c]) * scale + bn.bias.pointer[c]
        }
        weight = w; bias = b
    }
}
