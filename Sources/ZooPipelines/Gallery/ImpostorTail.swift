import Foundation

/// The upper tail of a recognizer's impostor score distribution: the impostor cosine at a set of ranks (0 = the
/// highest) among `pairs` impostor pairs, enough to map a small false-accept rate to a threshold.
///
/// Measured by `vz verify --calibrate ../shared/data/lfw-112/images --aligned --recognizer NAME --impostor-tail
/// FILE` over every impostor pair of the 1,161 LFW dev images (672,957 pairs); the committed files are
/// `Tests/Fixtures/faces/impostor-tail-<recognizer>.json` and their contents are `FaceImpostorTails.json` (a test
/// keeps the two equal). Rule (as `FaceCalibration.point`): the threshold for a FAR `f` is the impostor score of
/// rank `⌊f · pairs⌋`, interpolated linearly in `log(rank + 1)` between stored ranks.
public struct ImpostorTail: Codable, Sendable, Equatable {
    public var recognizer: String
    public var recognizer_version: String
    /// Where the scores came from (data set, images, pair count).
    public var source: String
    public var pairs: Int
    /// Ascending ranks (0-based, descending scores) and the impostor score at each.
    public var ranks: [Int]
    public var scores: [Float]

    /// Builds the tail of `impostors` (sorted descending) at ranks 0…9, then ~20 per decade up to `pairs / 2`.
    public init(recognizer: RecognizerID, source: String, impostors: [Float]) {
        self.recognizer = recognizer.name; recognizer_version = recognizer.version; self.source = source
        pairs = impostors.count
        var r: [Int] = Array(0..<min(10, impostors.count))
        var x = 1.0
        while true {
            x += 0.05
            let k = Int(pow(10, x).rounded())
            if k >= impostors.count / 2 { break }
            if k > (r.last ?? -1) { r.append(k) }
        }
        ranks = r
        scores = r.map { impostors[$0] }
    }

    /// The threshold for a per-comparison false-accept rate `far`, and whether `far` was below what the pairs
    /// resolve (then the highest impostor score is returned: every measured impostor is rejected).
    public func threshold(far: Double) -> (value: Float, clamped: Bool) {
        let k = far * Double(pairs)
        guard k >= 1, ranks.count > 1 else { return (scores[0], k < 1) }
        let kk = Double(Int(k))   // ⌊far · pairs⌋
        guard let hi = ranks.firstIndex(where: { Double($0) >= kk }) else { return (scores[scores.count - 1], false) }
        if Double(ranks[hi]) == kk || hi == 0 { return (scores[hi], false) }
        let lo = hi - 1
        let a = log(Double(ranks[lo]) + 1), b = log(Double(ranks[hi]) + 1), t = (log(kk + 1) - a) / (b - a)
        return (Float(Double(scores[lo]) + t * Double(scores[hi] - scores[lo])), false)
    }
}
