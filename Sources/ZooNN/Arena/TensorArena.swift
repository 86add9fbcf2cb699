/// Activation buffers of one model, handed out in the same order on every forward pass so that a second pass
/// with the same input shape allocates nothing. Serves every model (face detectors/embedders, the composable
/// detectors). Not thread-safe: the owning model serialises its forwards.
///
/// With a `trace` attached (`vz models NAME --describe`, tests), every layer run through the arena also records
/// the receptive field of its output, its multiply-accumulates and its parameters; without one (inference)
/// nothing is recorded and nothing is allocated.
public final class TensorArena {
    private var slots: [Tensor] = []
    private var next = 0
    /// Records geometry and cost of the layers run (nil: inference, record nothing).
    public var trace: ArenaTrace?

    public init() {}

    /// Starts a new forward pass.
    public func reset() { next = 0 }

    /// Drops every buffer (after a pass at an unusual input shape).
    public func releaseAll() { slots.removeAll(); next = 0 }

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
        if let trace { trace.record(layer, x, y) }
        return y
    }

    /// `xs` concatenated along the channel axis (`N, ΣC, H, W`) into the next buffer.
    public func concatChannels(_ xs: [Tensor]) -> Tensor {
        var shape = xs[0].shape
        shape[1] = xs.reduce(0) { $0 + $1.shape[1] }
        let y = tensor(shape)
        Ops.concat(xs, axis: 1, into: y)
        trace?.merge(xs, into: y)
        return y
    }

    /// `a + b` (same shapes) into the next buffer.
    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        let y = tensor(a.shape)
        Ops.add(a, b, into: y)
        trace?.merge([a, b], into: y)
        return y
    }
}

/// What a traced forward pass recorded: the receptive field of every tensor produced through the arena, and
/// the multiply-accumulates and parameters of the layers run (see `TensorArena.trace`).
public final class ArenaTrace {
    private var fields: [UnsafeMutablePointer<Float>: ReceptiveField] = [:]
    /// Multiply-accumulates of the conv/linear layers run (FLOPs = 2 × this).
    public private(set) var multiplyAccumulates = 0
    /// Parameters of the layers run (each layer once per call: a shared layer called twice counts twice).
    public private(set) var parameters = 0

    public init() {}

    /// The receptive field of `t` (a tensor not produced through the arena is a network input: one pixel).
    public func field(of t: Tensor) -> ReceptiveField { fields[t.pointer] ?? .pixel }

    /// Sets the receptive field of `t` (ops outside the arena, e.g. a space-to-depth).
    public func setField(_ f: ReceptiveField, of t: Tensor) { fields[t.pointer] = f }

    /// Records `layer` run on `x` into `y` (modules that run layers outside the arena, e.g. the darknet trunk).
    public func record<L: Layer>(_ layer: L, _ x: Tensor, _ y: Tensor) {
        let f = field(of: x)
        fields[y.pointer] = (layer as? ReceptiveFieldLayer)?.receptiveField(of: f, inputShape: x.shape) ?? f
        if let c = layer as? CostedLayer {
            multiplyAccumulates += c.multiplyAccumulates(for: x.shape)
            parameters += c.parameterCount
        }
    }

    /// Records `y` as where the branches `xs` meet (concat, add).
    public func merge(_ xs: [Tensor], into y: Tensor) { fields[y.pointer] = .merge(xs.map(field(of:))) }
}
