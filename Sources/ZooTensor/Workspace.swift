/// Scratch memory reused across forward passes (im2col buffers etc.); grows, and shrinks only on `release()`.
///
/// One per thread of inference: a workspace is not shared between concurrent forward passes. A pointer
/// returned by `floats(_:slot:)` stays valid until the next request for the same slot with a larger count.
public final class Workspace: @unchecked Sendable {
    private var buffers: [TensorStorage?] = []
    /// Arithmetic of the convolutions run with this workspace; nil follows `ComputePrecision.default`.
    public var precision: ComputePrecision?

    public init(precision: ComputePrecision? = nil) { self.precision = precision }

    /// `precision`, or the process default when unset.
    public var effectivePrecision: ComputePrecision { precision ?? ComputePrecision.default }

    /// At least `count` floats of scratch memory in slot 0 (contents undefined).
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> { floats(count, slot: 0) }

    /// At least `count` floats of scratch memory in an independent `slot` (contents undefined).
    /// Use different slots for buffers that must be alive at the same time.
    public func floats(_ count: Int, slot: Int) -> UnsafeMutablePointer<Float> {
        precondition(count >= 0 && slot >= 0)
        while buffers.count <= slot { buffers.append(nil) }
        if let b = buffers[slot], b.count >= count { return b.pointer }
        let grown = TensorStorage(count: max(count, (buffers[slot]?.count ?? 0) * 5 / 4))
        buffers[slot] = grown
        return grown.pointer
    }

    /// Drops every buffer (after a pass at an unusual shape; the next pass grows them again).
    public func release() { buffers.removeAll() }

    /// Total floats held (for tests that check a forward pass allocates nothing new).
    public var capacity: Int { buffers.reduce(0) { $0 + ($1?.count ?? 0) } }
}
