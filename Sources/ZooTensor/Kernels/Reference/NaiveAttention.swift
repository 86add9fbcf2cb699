import Foundation

extension Reference {
    /// Multi-head attention from the definition, `o = softmax(scale · q·kᵀ) · v` per (batch, head), in Double:
    /// the full `queries × keys` score matrix of one head is built, padded keys (mask byte non-zero) are left out
    /// of the softmax, and a row with every key padded is written as zeros (the policy of `FlashAttention`).
    /// Layouts as `AttentionGeometry` says.
    public static func attention(_ g: AttentionGeometry, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 keyPaddingMask: UnsafePointer<UInt8>? = nil, o: UnsafeMutablePointer<Float>) {
        var scores = [Double](repeating: 0, count: g.queries * g.keys)
        for b in 0..<g.batch {
            for h in 0..<g.heads {
                for i in 0..<g.queries {
                    for j in 0..<g.keys {
                        var dot: Double = 0
                        for c in 0..<g.headDim {
                            dot += Double(q[(b * g.queries + i) * g.ldq + h * g.headDim + c]) * Double(k[(b * g.keys + j) * g.ldk + h * g.headDim + c])
                        }
                        scores[i * g.keys + j] = Double(g.scale) * dot
                    }
                }
                for i in 0..<g.queries {
                    let valid = (0..<g.keys).filter { keyPaddingMask == nil || keyPaddingMask![b * g.keys + $0] == 0 }
                    let out = o + (b * g.queries + i) * g.ldo + h * g.valueDim
                    guard let mx = valid.map({ scores[i * g.keys + $0] }).max() else {
                        for c in 0..<g.valueDim { out[c] = 0 }
                        continue
                    }
                    var p = [Double](repeating: 0, count: g.keys), sum: Double = 0
                    for j in valid { p[j] = Foundation.exp(scores[i * g.keys + j] - mx); sum += p[j] }
                    for c in 0..<g.valueDim {
                        var acc: Double = 0
                        for j in valid { acc += p[j] * Double(v[(b * g.keys + j) * g.ldv + h * g.valueDim + c]) }
                        out[c] = Float(acc / sum)
                    }
                }
            }
        }
    }
}
