import ZooNN

/// What a module's forward pass computes with: the model's activation arena and its kernel workspace.
/// Owned by the detector that runs the modules (one per model instance, reused on every pass).
public struct ForwardContext {
    public let arena: TensorArena
    public let workspace: Workspace
    /// The network input's shape `N, C, H, W` (darknet's `net.w`, `net.h`: YOLO heads scale anchors by it).
    public let inputShape: [Int]

    public init(arena: TensorArena, workspace: Workspace, inputShape: [Int] = []) {
        self.arena = arena; self.workspace = workspace; self.inputShape = inputShape
    }

    /// Runs `layer` on `x` into the next arena buffer.
    @inline(__always)
    public func callAsFunction<L: Layer>(_ layer: L, _ x: Tensor) -> Tensor { arena.run(layer, x, workspace) }
}

extension ForwardContext {
    /// `x` `N, A·k, H, W` → `N, H·W·A, k` (the exports' Transpose(0, 2, 3, 1) + Reshape(N, −1, k)), then
    /// `activation` in place: the row layout of the dense heads' raw outputs. Keeps `x`'s receptive field.
    public func cellRows(_ x: Tensor, width k: Int, activation: Activation = .linear) -> Tensor {
        let y = arena.tensor([x.shape[0], x.shape[2], x.shape[3], x.shape[1]])
        Ops.permute(x, [0, 2, 3, 1], into: y)
        if activation != .linear { Ops.activate(y, activation, into: y) }
        if let trace = arena.trace { trace.setField(trace.field(of: x), of: y) }
        return y.reshaped([x.shape[0], -1, k])
    }
}
