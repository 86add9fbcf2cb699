/// Activation buffers of one model, handed out in the same order on every forward pass so that a second pass
/// with the same input shape allocates nothing. Serves every model (face detectors/embedders today, the
/// composable detectors next). Not thread-safe: the owning model serialises its forwards.
public final class TensorArena {
    private var slots: [Tensor] = []
    private var next = 0

    public init() {}

    /// Starts a new forward pass.
    public func reset() { next = 0 }

    /// Buffers currently held (for tests: a repeated pass must not grow this).
    public var slotCount: Int { slots.count }

    /// The next buffer, shaped `shape` (contents undefined: layers overwrite them).
    public func tensor(_ shape: [Int]) -> Tensor {
        defer { next += 1 }
        let count = shape.reduce(1, *)
        if next < slots.count {
            if slots[next].shape == shape { return slots[next] }
            if slots[next].storage.count >= count {
                let t = Tensor(shape: shape, storage: slots[next].storage)
                slots[next] = t
                return t
            }
            let t = Tensor(zeros: shape)
            slots[next] = t
            return t
        }
        let t = Tensor(zeros: shape)
        slots.append(t)
        return t
    }

    /// Runs `layer` on `x` into the next buffer.
    public func run<L: Layer>(_ layer: L, _ x: Tensor, _ ws: Workspace) -> Tensor {
        let y = tensor(layer.outputShape(for: x.shape))
        layer.forward(x, into: y, workspace: ws)
        return y
    }
}
