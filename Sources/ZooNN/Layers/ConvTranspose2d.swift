/// Transposed 2-D convolution, mirroring `torch.nn.ConvTranspose2d`.
///
/// Input `N, inC, H, W`; weight `[inC, outC/groups, kH, kW]`; bias `[outC]`; output `N, outC, outH, outW` with
/// `outH = (H − 1)·strideH − 2·padH + dilationH·(kH − 1) + outputPaddingH + 1`. Computed as a GEMM
/// (`colᵀ = W_gᵀ · x_g`) followed by col2im scatter-add onto the bias-initialised output.
public struct ConvTranspose2d: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int), dilation: (Int, Int)
    public let groups: Int
    /// `[inC, outC/groups, kH, kW]`.
    public var weight: Tensor
    /// `[outC]`.
    public var bias: Tensor?

    public init(inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), groups: Int = 1,
                dilation: (Int, Int) = (1, 1), bias: Bool = true) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "ConvTranspose2d: groups \(groups) must divide \(inChannels) and \(outChannels)")
        precondition(outputPadding.0 < max(stride.0, dilation.0) && outputPadding.1 < max(stride.1, dilation.1),
                     "ConvTranspose2d: output padding must be smaller than stride or dilation")
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel; self.stride = stride
        self.padding = padding; self.outputPadding = outputPadding; self.dilation = dilation; self.groups = groups
        weight = Tensor(zeros: [inChannels, outChannels / groups, kernel.0, kernel.1])
        self.bias = bias ? Tensor(zeros: [outChannels]) : nil
    }

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, groups: Int = 1, dilation: Int = 1, bias: Bool = true) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernel: (kernel, kernel), stride: (stride, stride),
                  padding: (padding, padding), outputPadding: (outputPadding, outputPadding), groups: groups,
                  dilation: (dilation, dilation), bias: bias)
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4 && input[1] == inChannels, "ConvTranspose2d: input \(input) is not N, \(inChannels), H, W")
        let oh = (input[2] - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kernel.0 - 1) + outputPadding.0 + 1
        let ow = (input[3] - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kernel.1 - 1) + outputPadding.1 + 1
        precondition(oh > 0 && ow > 0, "ConvTranspose2d: empty output for input \(input)")
        return [input[0], outChannels, oh, ow]
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        precondition(x.rank == 4 && x.shape[1] == inChannels, "ConvTranspose2d: input \(x.shape) is not N, \(inChannels), H, W")
        let H = x.shape[2], W = x.shape[3], hw = H * W
        let oH = (H - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kernel.0 - 1) + outputPadding.0 + 1
        let oW = (W - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kernel.1 - 1) + outputPadding.1 + 1
        checkNCHW(y, x.shape[0], outChannels, oH, oW, "ConvTranspose2d")
        let cin = inChannels / groups, cout = outChannels / groups, kk = kernel.0 * kernel.1
        let col = workspace.floats(cout * kk * hw)
        let kH = kernel.0, kW = kernel.1
        for n in 0..<x.shape[0] {
            for g in 0..<groups {
                GEMM.sgemm(transA: true, transB: false, m: cout * kk, n: hw, k: cin, alpha: 1,
                           a: weight.pointer + g * cin * cout * kk, lda: cout * kk,
                           b: x.pointer + (n * inChannels + g * cin) * hw, ldb: hw, beta: 0, c: col, ldc: hw)
                let yBase = y.pointer + (n * outChannels + g * cout) * oH * oW
                let biasP = bias?.pointer
                let (sH, sW, pH, pW, dH, dW) = (stride.0, stride.1, padding.0, padding.1, dilation.0, dilation.1)
                Threads.parallelFor(cout, minPerChunk: max(1, 4096 / max(1, kk * hw))) { c0, c1 in
                    for c in c0..<c1 {
                        let plane = yBase + c * oH * oW
                        plane.update(repeating: biasP?[g * cout + c] ?? 0, count: oH * oW)
                        for ki in 0..<kH { for kj in 0..<kW {
                            let src = col + ((c * kH + ki) * kW + kj) * hw
                            for iy in 0..<H {
                                let oy = iy * sH - pH + ki * dH
                                if oy < 0 || oy >= oH { continue }
                                let dRow = plane + oy * oW, sRow = src + iy * W
                                for ix in 0..<W {
                                    let ox = ix * sW - pW + kj * dW
                                    if ox >= 0 && ox < oW { dRow[ox] += sRow[ix] }
                                }
                            }
                        } }
                    }
                }
            }
        }
    }
}
