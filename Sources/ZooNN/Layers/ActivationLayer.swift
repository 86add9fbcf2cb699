/// An element-wise activation as a layer (any shape in, same shape out); may run in place (`x` == `y`).
public struct ActivationLayer: Layer {
    public var activation: Activation

    public init(_ a: Activation) { activation = a }

    public func outputShape(for input: [Int]) -> [Int] { input }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        checkShape(y, x.shape, "ActivationLayer")
        Ops.activate(x, activation, into: y)
    }
}
