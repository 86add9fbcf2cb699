/// Inference batch normalisation, mirroring `torch.nn.BatchNorm2d` in eval mode:
/// `y = (x − running_mean) / √(running_var + eps) · weight + bias` per channel.
///
/// Input `N, C, ...` (e.g. `N, C, H, W` or `N, C`); keys "weight", "bias", "running_mean", "running_var".
/// Usually folded into the preceding `Conv2d` at load time (`Conv2d.foldBatchNorm`).
public struct BatchNorm2d: Layer {
    public let channels: Int
    /// γ, `[C]` (default 1).
    public var weight: Tensor
    /// β, `[C]` (default 0).
    public var bias: Tensor
    /// `[C]` (default 0).
    public var runningMean: Tensor
    /// `[C]` (default 1).
    public var runningVar: Tensor
    public var eps: Float

    public init(channels: Int, eps: Float = 1e-5) {
        self.channels = channels; self.eps = eps
        weight = Tensor(shape: [channels], data: .init(repeating: 1, count: channels))
        bias = Tensor(zeros: [channels])
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(shape: [channels], data: .init(repeating: 1, count: channels))
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count >= 2 && input[1] == channels, "BatchNorm2d: input \(input) is not N, \(channels), ...")
        return input
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        checkShape(y, outputShape(for: x.shape), "BatchNorm2d")
        let inner = x.shape.dropFirst(2).reduce(1, *)
        let px = x.pointer, py = y.pointer, w = weight.pointer, b = bias.pointer, m = runningMean.pointer, v = runningVar.pointer
        let C = channels, eps = self.eps
        Threads.parallelFor(x.shape[0] * C, minPerChunk: max(1, 16384 / max(1, inner))) { p0, p1 in
            for p in p0..<p1 {
                let c = p % C
                let scale = w[c] / (v[c] + eps).squareRoot(), shift = b[c] - m[c] * scale
                let s = px + p * inner, d = py + p * inner
                for i in 0..<inner { d[i] = s[i] * scale + shift }
            }
        }
    }
}
