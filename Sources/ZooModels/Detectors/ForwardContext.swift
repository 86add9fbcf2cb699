import ZooNN

/// What a module's forward pass computes with: the model's activation arena and its kernel workspace.
/// Owned by the detector that runs the modules (one per model instance, reused on every pass).
public struct ForwardContext {
    public let arena: TensorArena
    public let workspace: Workspace

    public init(arena: TensorArena, workspace: Workspace) { self.arena = arena; self.workspace = workspace }

    /// Runs `layer` on `x` into the next arena buffer.
    @inline(__always)
    public func callAsFunction<L: Layer>(_ layer: L, _ x: Tensor) -> Tensor { arena.run(layer, x, workspace) }
}
