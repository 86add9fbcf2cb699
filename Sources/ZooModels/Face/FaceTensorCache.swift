import ZooNN

/// Activation buffers of one model, handed out in the same order on every forward pass so that a second pass
/// with the same input shape allocates nothing. Not thread-safe: the owning model serialises its forwards.
final class FaceTensorCache {
    private var slots: [Tensor] = []
    private var next = 0

    /// Starts a new forward pass.
    func reset() { next = 0 }

    /// The next buffer, shaped `shape` (contents undefined: layers overwrite them).
    func tensor(_ shape: [Int]) -> Tensor {
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

    /// Runs `layer` on `x` into a fresh buffer.
    func run<L: Layer>(_ layer: L, _ x: Tensor, _ ws: Workspace) -> Tensor {
        let y = tensor(layer.outputShape(for: x.shape))
        layer.forward(x, into: y, workspace: ws)
        return y
    }
}
