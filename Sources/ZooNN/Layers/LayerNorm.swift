/// Layer normalisation over the trailing `normalizedShape` dimensions, mirroring `torch.nn.LayerNorm`:
/// `y = (x − mean) / √(var + eps) · weight + bias` (biased variance).
///
/// Input `..., normalizedShape`; weight and bias have `normalizedShape` (defaults 1 and 0).
public struct LayerNorm: Layer {
    public let normalizedShape: [Int]
    public var weight: Tensor
    public var bias: Tensor
    public var eps: Float

    public init(normalizedShape: [Int], eps: Float = 1e-5) {
        let n = normalizedShape.reduce(1, *)
        self.normalizedShape = normalizedShape; self.eps = eps
        weight = Tensor(shape: normalizedShape, data: .init(repeating: 1, count: n))
        bias = Tensor(zeros: normalizedShape)
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count >= normalizedShape.count && input.suffix(normalizedShape.count).elementsEqual(normalizedShape),
                     "LayerNorm: input \(input) does not end with \(normalizedShape)")
        return input
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        checkShape(y, outputShape(for: x.shape), "LayerNorm")
        let inner = normalizedShape.reduce(1, *)
        guard inner > 0 else { return }
        let px = x.pointer, py = y.pointer, w = weight.pointer, b = bias.pointer, eps = self.eps
        Threads.parallelFor(x.count / inner, minPerChunk: max(1, 8192 / inner)) { r0, r1 in
            for r in r0..<r1 {
                let s = px + r * inner, d = py + r * inner
                var mean: Float = 0
                for i in 0..<inner { mean += s[i] }
                mean /= Float(inner)
                var variance: Float = 0
                for i in 0..<inner { let t = s[i] - mean; variance += t * t }
                variance /= Float(inner)
                let inv = 1 / (variance + eps).squareRoot()
                for i in 0..<inner { d[i] = (s[i] - mean) * inv * w[i] + b[i] }
            }
        }
    }
}
