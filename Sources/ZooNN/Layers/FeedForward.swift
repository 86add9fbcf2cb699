/// The transformer feed-forward block `fc2(act(fc1(x)))` (HF DETR's `DetrMLP`, PyTorch's `linear1 → act → linear2`),
/// on rows: input `N, E` (or `B, L, E`, flattened to rows), output of the same shape. Activation ReLU or GELU.
public struct FeedForward {
    public var fc1: Linear, fc2: Linear

    public init(embedDim: Int, hiddenDim: Int, activation: Activation = .relu) {
        fc1 = Linear(inFeatures: embedDim, outFeatures: hiddenDim, activation: activation)
        fc2 = Linear(inFeatures: hiddenDim, outFeatures: embedDim)
    }

    /// `fc2(act(fc1(x)))` into the next arena buffer, shaped like `x`.
    public func callAsFunction(_ x: Tensor, arena: TensorArena, workspace: Workspace) -> Tensor {
        let rows = x.count / fc1.inFeatures
        let h = arena.run(fc1, x.reshaped([rows, fc1.inFeatures]), workspace)
        return arena.run(fc2, h, workspace).reshaped(x.shape)
    }
}
