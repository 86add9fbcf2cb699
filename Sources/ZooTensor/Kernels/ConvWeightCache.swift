import Foundation

/// A convolution layer's weights in the form a fast path needs (Winograd `U = G g Gᵀ`; oneDNN's packed layout
/// per precision), built once on first use, and the layer's oneDNN primitives, one per input shape.
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
    /// oneDNN primitives by (geometry, activation, bias, precision); nil: oneDNN has none, use our kernels.
    private var dnnlConvs: [(key: DNNLKey, conv: DNNLConvolution?, weights: TensorStorage?)] = []
    /// oneDNN primitives kept per layer (input shapes × precisions).
    static let maxDNNLEntries = 4

    struct DNNLKey: Equatable {
        var geometry: ConvGeometry, activation: Activation, bias: Bool, precision: ComputePrecision
    }

    public init() {}

    /// Drops the transforms when `weight` is not the tensor they were built from.
    private func check(_ weight: Tensor) {
        if source !== weight.storage || sourceShape != weight.shape {
            winograd = nil; dnnlConvs = []
            source = weight.storage; sourceShape = weight.shape
        }
    }

    /// The oneDNN primitive for `g` with `weight` packed for it (packed once per layout and precision: primitives
    /// for other input shapes that want the same layout share the copy), or nil when oneDNN has no fast
    /// implementation (the caller runs our kernels).
    public func dnnl(_ weight: Tensor, _ g: ConvGeometry, activation: Activation, bias: Bool,
                     precision: ComputePrecision) -> (conv: DNNLConvolution, weights: UnsafeRawPointer)? {
        lock.lock(); defer { lock.unlock() }
        check(weight)
        let key = DNNLKey(geometry: g, activation: activation, bias: bias, precision: precision)
        if let e = dnnlConvs.first(where: { $0.key == key }) {
            guard let c = e.conv, let w = e.weights else { return nil }
            return (c, UnsafeRawPointer(w.pointer))
        }
        precondition(weight.count == g.outChannels * g.groupInChannels * g.kH * g.kW, "oneDNN weights need [outC, inC/groups, kH, kW], got \(weight.shape)")
        guard let conv = DNNLConvolution(g, activation: activation, bias: bias, precision: precision) else {
            dnnlConvs.append((key, nil, nil)); return nil
        }
        let shared = dnnlConvs.first { e in e.key.precision == precision && e.conv.map { $0.sharesWeightLayout(with: conv) } == true }
        guard let packed = shared?.weights ?? conv.packWeights(UnsafePointer(weight.pointer)) else {
            dnnlConvs.append((key, nil, nil)); return nil
        }
        dnnlConvs.append((key, conv, packed))
        // Bounded: one primitive per input shape would otherwise accumulate with every distinct `size=` a service
        // is asked for (64 legal sizes). The first entry (the shape the model was planned for) stays; the oldest
        // other one goes. A layer instance runs one forward at a time (the pipelines
        // serialise per instance), so no caller still holds an evicted primitive.
        if dnnlConvs.count > Self.maxDNNLEntries { dnnlConvs.remove(at: 1) }
        return (conv, UnsafeRawPointer(packed.pointer))
    }

    /// `weight` (`[outC, inC, 3, 3]`) transformed for `WinogradConv` (`[36, outC, inC]`).
    public func winogradWeights(_ weight: Tensor, _ g: ConvGeometry) -> UnsafePointer<Float> {
        lock.lock(); defer { lock.unlock() }
        check(weight)
        if let w = winograd { return UnsafePointer(w.pointer) }
        precondition(weight.count == g.outChannels * g.inChannels * 9, "Winograd weights need [outC, inC, 3, 3], got \(weight.shape)")
        let u = TensorStorage(count: WinogradConv.transformedWeightCount(g))
        WinogradConv.transformWeights(weight.pointer, outChannels: g.outChannels, inChannels: g.inChannels, into: u.pointer)
        winograd = u
        return UnsafePointer(u.pointer)
    }
}
