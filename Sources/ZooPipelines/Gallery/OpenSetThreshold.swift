import Foundation

/// The identification threshold of an open-set search, calibrated for the gallery's size.
///
/// A probe of someone not in the gallery is compared with all N stored embeddings; it is falsely identified when
/// any impostor score passes the threshold. With independent comparisons at per-comparison false-accept rate
/// `FAR`, the open-set false positive identification rate is `FPIR = 1 − (1 − FAR)^N`, so for a target FPIR the
/// per-comparison rate is `FAR = 1 − (1 − FPIR)^(1/N)` (≈ FPIR / N), mapped to a cosine by the recognizer's
/// measured impostor tail (`ImpostorTail`, LFW dev pairs). N counts embeddings, not people: each one is a chance
/// for an impostor (conservative for people with several).
public struct OpenSetThreshold: Sendable, Equatable {
    /// Target open-set false positive identification rate (a probe of nobody in the gallery named as someone).
    public var fpir: Double
    /// A fixed cosine instead (`--threshold`): not adjusted for N.
    public var user: Float?

    public static let defaultFPIR = 0.01

    public init(fpir: Double = OpenSetThreshold.defaultFPIR, user: Float? = nil) { self.fpir = fpir; self.user = user }

    /// `1 − (1 − fpir)^(1/n)`, computed as `−expm1(log1p(−fpir) / n)` (exact for tiny rates).
    public static func perComparisonFAR(fpir: Double, comparisons n: Int) -> Double {
        -expm1(log1p(-fpir) / Double(max(1, n)))
    }

    /// The threshold for `comparisons` stored embeddings of `recognizer`, with its provenance, or nil when the
    /// recognizer has neither an impostor tail nor a verification threshold (then `--threshold` is needed).
    public func threshold(recognizer: RecognizerID, comparisons: Int) -> FaceThreshold? {
        if let user { return FaceThreshold(value: user, source: "user (fixed; not adjusted for the gallery size)") }
        let n = max(1, comparisons)
        let far = Self.perComparisonFAR(fpir: fpir, comparisons: n)
        let pct = String(format: "%g", fpir * 100)
        if let tail = FaceImpostorTails.tail(for: recognizer.name), tail.recognizer_version == recognizer.version {
            let (t, clamped) = tail.threshold(far: far)
            var s = "open-set: FPIR \(pct) % over N = \(n) embedding\(n == 1 ? "" : "s") -> per-comparison FAR \(String(format: "%.3g", far)) -> \(recognizer.name) impostor tail of \(tail.source)"
            if clamped {
                s += "; FAR below 1/\(tail.pairs) is not resolved by the measured pairs: the highest impostor score is used"
            }
            return FaceThreshold(value: t, source: s)
        }
        if let v = FaceThresholds.calibrated(recognizer.name) {
            return FaceThreshold(value: v.value, source: "verification threshold (\(v.source)); no impostor tail for \(recognizer): not adjusted for the gallery size")
        }
        return nil
    }
}
