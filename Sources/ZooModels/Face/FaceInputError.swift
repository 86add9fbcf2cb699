import Foundation

/// A face model was given input it cannot use (wrong chip size, empty image); the message names the model.
public enum FaceInputError: Error, CustomStringConvertible, Equatable {
    case badInput(String)
    public var description: String { switch self { case .badInput(let s): return s } }
}

/// Small embedding helpers shared by the recognisers.
public enum FaceEmbeddingMath {
    /// `v / ‖v‖₂` (a zero vector stays zero).
    public static func l2Normalised(_ v: [Float]) -> [Float] {
        var s: Float = 0
        for x in v { s += x * x }
        let n = s.squareRoot()
        return n > 0 ? v.map { $0 / n } : v
    }

    /// Cosine similarity of two vectors of equal length.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "cosine of vectors of length \(a.count) and \(b.count)")
        var ab: Float = 0, aa: Float = 0, bb: Float = 0
        for i in 0..<a.count { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i] }
        let d = (aa * bb).squareRoot()
        return d > 0 ? ab / d : 0
    }
}
