/// Group normalisation (Wu & He 2018), mirroring `torch.nn.GroupNorm(numGroups, channels)` with an optional fused
/// activation: per sample and group of `channels / groups` consecutive channels, `y = act((x − mean) / √(var + eps)
/// · weight[c] + bias[c])` (biased variance over the group's `C/G · H · W` values; statistics accumulated in
/// Float64, then applied in Float32).
///
/// Input `N, C, ...` (`N, C, H, W`); keys "weight", "bias" (`[C]`). May run in place (`x` == `y`).
public struct GroupNorm: Layer {
    public let groups: Int, channels: Int
    /// γ, `[C]` (default 1).
    public var weight: Tensor
    /// β, `[C]` (default 0).
    public var bias: Tensor
    public var eps: Float
    /// Applied after the affine step (torchvision's FCOS towers: GroupNorm then ReLU).
    public var activation: Activation

    public init(groups: Int, channels: Int, eps: Float = 1e-5, activation: Activation = .linear) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(groups) groups must divide \(channels) channels")
        self.groups = groups; self.channels = channels; self.eps = eps; self.activation = activation
        weight = Tensor(shape: [channels], data: .init(repeating: 1, count: channels))
        bias = Tensor(zeros: [channels])
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count >= 2 && input[1] == channels, "GroupNorm: input \(input) is not N, \(channels), ...")
        return input
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        checkShape(y, outputShape(for: x.shape), "GroupNorm")
        let inner = x.shape.dropFirst(2).reduce(1, *), per = channels / groups, G = groups
        let px = x.pointer, py = y.pointer, w = weight.pointer, b = bias.pointer, eps = Double(eps), act = activation
        Threads.parallelFor(x.shape[0] * G, minPerChunk: max(1, 16384 / max(1, per * inner))) { g0, g1 in
            for ng in g0..<g1 {
                let base = ng * per * inner, count = per * inner
                let s = px + base, d = py + base
                var sum = 0.0
                for i in 0..<count { sum += Double(s[i]) }
                let mean = sum / Double(count)
                var sq = 0.0
                for i in 0..<count { let t = Double(s[i]) - mean; sq += t * t }
                let inv = 1 / (sq / Double(count) + eps).squareRoot()
                let c0 = (ng % G) * per
                for j in 0..<per {
                    let scale = Float(inv) * w[c0 + j], shift = b[c0 + j] - Float(mean) * scale
                    let sj = s + j * inner, dj = d + j * inner
                    switch act {
                    case .linear: for i in 0..<inner { dj[i] = sj[i] * scale + shift }
                    case .relu: for i in 0..<inner { let v = sj[i] * scale + shift; dj[i] = v > 0 ? v : 0 }
                    default: for i in 0..<inner { dj[i] = act.apply(sj[i] * scale + shift) }
                    }
                }
            }
        }
    }
}
