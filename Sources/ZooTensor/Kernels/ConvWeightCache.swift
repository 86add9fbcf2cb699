import Foundation

/// A convolution layer's weights in the form a fast path needs (Winograd `U = G g Gᵀ`), built once on first use.
///
/// Keyed by the identity of the weight tensor's storage (held strongly, so its address cannot be reused):
/// assigning a new weight tensor (e.g. `foldBatchNorm`) rebuilds the cache on the next forward. Weights
/// mutated *in place* after a forward pass are not detected (weights are immutable once loaded).
/// Thread-safe: concurrent forwards of one layer share one transform.
public final class ConvWeightCache: @unchecked Sendable {
    private let lock = NSLock()
    private var source: TensorStorage?
    private var sourceShape: [Int] = []
    private var winograd: TensorStorage?

    public init() {}

    /// `weight` (`[outC, inC, 3, 3]`) transformed for `WinogradConv` (`[36, outC, inC]`).
    public func winogradWeights(_ weight: Tensor, _ g: ConvGeometry) -> UnsafePointer<Float> {
        lock.lock(); defer { lock.unlock() }
        if let w = winograd, source === weight.storage, sourceShape == weight.shape { return UnsafePointer(w.pointer) }
        precondition(weight.count == g.outChannels * g.inChannels * 9, "Winograd weights need [outC, inC, 3, 3], got \(weight.shape)")
        let u = TensorStorage(count: WinogradConv.transformedWeightCount(g))
        WinogradConv.transformWeights(weight.pointer, outChannels: g.outChannels, inChannels: g.inChannels, into: u.pointer)
        source = weight.storage; sourceShape = weight.shape; winograd = u
        return UnsafePointer(u.pointer)
    }
}
