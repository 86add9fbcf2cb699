/// Softmax along one axis (negative counts from the end), mirroring `torch.nn.Softmax(dim:)`; any shape.
public struct Softmax: Layer {
    public let axis: Int

    public init(axis: Int) { self.axis = axis }

    public func outputShape(for input: [Int]) -> [Int] { input }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        checkShape(y, x.shape, "Softmax")
        Ops.softmax(x, axis: axis, into: y)
    }
}
