/// Parametric ReLU, mirroring `torch.nn.PReLU`: `y = max(x, 0) + a[c] · min(x, 0)`.
///
/// Input `N, C, ...`; weight `[C]` (or `[1]`, shared by all channels); default slope 0.25 like PyTorch.
public struct PReLU: Layer {
    /// `[C]` or `[1]`.
    public var weight: Tensor

    public init(channels: Int) { weight = Tensor(shape: [channels], data: .init(repeating: 0.25, count: channels)) }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(weight.count == 1 || (input.count >= 2 && input[1] == weight.count),
                     "PReLU: input \(input) does not have \(weight.count) channels")
        return input
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        checkShape(y, outputShape(for: x.shape), "PReLU")
        let C = x.rank >= 2 ? x.shape[1] : 1
        let inner = x.rank >= 2 ? x.shape.dropFirst(2).reduce(1, *) : x.count
        let shared = weight.count == 1
        let px = x.pointer, py = y.pointer, w = weight.pointer
        Threads.parallelFor(x.count / max(1, inner), minPerChunk: max(1, 16384 / max(1, inner))) { p0, p1 in
            for p in p0..<p1 {
                let a = w[shared ? 0 : p % C], s = px + p * inner, d = py + p * inner
                if UnsafePointer(d) != UnsafePointer(s) { d.update(from: s, count: inner) }
                VectorMath.biasPReLU(d, count: inner, bias: 0, slope: a)
            }
        }
    }
}
