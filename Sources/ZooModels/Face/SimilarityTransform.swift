/// A 2-D similarity transform (uniform scale, rotation, translation): `p' = [a −b; b a] · p + (tx, ty)`.
///
/// `estimate(from:to:)` is Umeyama's least-squares solution (Umeyama 1991, as scikit-image's
/// `SimilarityTransform.estimate` used by InsightFace's `norm_crop`), written in its closed 2-D form:
/// with centred points s, d, `a = Σ(s·d) / Σ|s|²`, `b = Σ(s × d) / Σ|s|²` — the same optimum as the SVD form
/// with the reflection excluded.
public struct SimilarityTransform: Equatable, Sendable {
    public var a: Double, b: Double, tx: Double, ty: Double

    public init(a: Double, b: Double, tx: Double, ty: Double) { self.a = a; self.b = b; self.tx = tx; self.ty = ty }

    /// The identity.
    public static let identity = SimilarityTransform(a: 1, b: 0, tx: 0, ty: 0)

    /// Scale factor `√(a² + b²)`.
    public var scale: Double { (a * a + b * b).squareRoot() }
    /// Rotation angle in radians.
    public var angle: Double { atan2(b, a) }

    /// Maps a point.
    public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (a * x - b * y + tx, b * x + a * y + ty)
    }

    /// The inverse transform (`nil` for a degenerate, zero-scale transform).
    public var inverse: SimilarityTransform? {
        let d = a * a + b * b
        guard d > 0, d.isFinite else { return nil }
        let ia = a / d, ib = -b / d
        return SimilarityTransform(a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty))
    }

    /// Least-squares similarity mapping `source` points onto `target` points (flattened [x0, y0, x1, y1, …],
    /// equal counts, at least two distinct points); `nil` when the source points coincide.
    public static func estimate(from source: [Float], to target: [Float]) -> SimilarityTransform? {
        precondition(source.count == target.count && source.count % 2 == 0 && source.count >= 4,
                     "similarity estimate needs two equal-length point lists of ≥ 2 points")
        let n = source.count / 2
        var msx = 0.0, msy = 0.0, mdx = 0.0, mdy = 0.0
        for i in 0..<n {
            msx += Double(source[2 * i]); msy += Double(source[2 * i + 1])
            mdx += Double(target[2 * i]); mdy += Double(target[2 * i + 1])
        }
        msx /= Double(n); msy /= Double(n); mdx /= Double(n); mdy /= Double(n)
        var ss = 0.0, dot = 0.0, cross = 0.0
        for i in 0..<n {
            let sx = Double(source[2 * i]) - msx, sy = Double(source[2 * i + 1]) - msy
            let dx = Double(target[2 * i]) - mdx, dy = Double(target[2 * i + 1]) - mdy
            ss += sx * sx + sy * sy
            dot += sx * dx + sy * dy
            cross += sx * dy - sy * dx
        }
        guard ss > 1e-12, ss.isFinite, dot.isFinite, cross.isFinite else { return nil }
        let a = dot / ss, b = cross / ss
        return SimilarityTransform(a: a, b: b, tx: mdx - (a * msx - b * msy), ty: mdy - (b * msx + a * msy))
    }
}

import Foundation
