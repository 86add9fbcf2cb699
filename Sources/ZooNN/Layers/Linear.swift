/// Fully connected layer, mirroring `torch.nn.Linear`: `y = act(x · Wᵀ + b)`.
///
/// Input `N, inFeatures` (or `N, C, H, W` with `C·H·W == inFeatures`, flattened); output `N, outFeatures`;
/// weight `[out, in]`, bias `[out]`.
public struct Linear: Layer {
    public let inFeatures: Int, outFeatures: Int
    /// `[out, in]`.
    public var weight: Tensor
    /// `[out]`.
    public var bias: Tensor?
    public var activation: Activation

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, activation: Activation = .linear) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.activation = activation
        weight = Tensor(zeros: [outFeatures, inFeatures])
        self.bias = bias ? Tensor(zeros: [outFeatures]) : nil
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count >= 2 && input.dropFirst().reduce(1, *) == inFeatures,
                     "Linear: input \(input) does not flatten to N × \(inFeatures)")
        return [input[0], outFeatures]
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        let n = x.shape[0]
        precondition(x.rank >= 2 && x.count == n * inFeatures, "Linear: input \(x.shape) does not flatten to N × \(inFeatures)")
        precondition(y.rank == 2 && y.shape[0] == n && y.shape[1] == outFeatures, "Linear: output \(y.shape), expected [\(n), \(outFeatures)]")
        GEMM.sgemm(transA: false, transB: true, m: n, n: outFeatures, k: inFeatures, alpha: 1, a: x.pointer, lda: inFeatures,
                   b: weight.pointer, ldb: inFeatures, beta: 0, c: y.pointer, ldc: outFeatures)
        let b = bias?.pointer
        for r in 0..<n {
            let row = y.pointer + r * outFeatures
            if let b { for j in 0..<outFeatures { row[j] += b[j] } }
            VectorMath.biasActivate(row, count: outFeatures, bias: 0, activation)
        }
    }
}
