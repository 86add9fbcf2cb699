/// A layer with a fixed output shape for a given input shape, computing into a preallocated output.
///
/// `forward` allocates nothing once `workspace` has grown to the layer's needs for that input shape.
public protocol Layer {
    /// The output shape for an input of shape `input` (image layers: `N, C, H, W`).
    func outputShape(for input: [Int]) -> [Int]
    /// Computes the layer on `x` into `y` (which must have `outputShape(for: x.shape)`).
    func forward(_ x: Tensor, into y: Tensor, workspace: Workspace)
}

extension Layer {
    /// Allocating convenience for tests and one-offs: a fresh output and a fresh workspace.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = Tensor(zeros: outputShape(for: x.shape))
        forward(x, into: y, workspace: Workspace())
        return y
    }
}

@inline(__always)
func checkShape(_ y: Tensor, _ expected: [Int], _ layer: String) {
    precondition(y.shape == expected, "\(layer): output tensor has shape \(y.shape), expected \(expected)")
}

/// Non-allocating check that `y` is `n, c, h, w` (building a shape array would allocate on every forward).
@inline(__always)
func checkNCHW(_ y: Tensor, _ n: Int, _ c: Int, _ h: Int, _ w: Int, _ layer: String) {
    precondition(y.rank == 4 && y.shape[0] == n && y.shape[1] == c && y.shape[2] == h && y.shape[3] == w,
                 "\(layer): output tensor has shape \(y.shape), expected \([n, c, h, w])")
}
