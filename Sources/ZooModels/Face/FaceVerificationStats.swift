import Foundation

/// Verification metrics over scored pairs (higher score = more alike; accept when `score ≥ threshold`).
public enum FaceVerificationStats {
    /// Fraction of pairs classified correctly at `threshold`.
    public static func accuracy(scores: [Float], labels: [Bool], threshold: Float) -> Double {
        precondition(scores.count == labels.count && !scores.isEmpty, "need as many labels as scores")
        var ok = 0
        for (s, l) in zip(scores, labels) where (s >= threshold) == l { ok += 1 }
        return Double(ok) / Double(scores.count)
    }

    /// The threshold maximising accuracy: midpoints between consecutive distinct scores are tried.
    public static func bestThreshold(scores: [Float], labels: [Bool]) -> Float {
        let sorted = Array(Set(scores)).sorted()
        var candidates = [sorted[0] - 1e-3]
        for i in 0..<(sorted.count - 1) { candidates.append((sorted[i] + sorted[i + 1]) / 2) }
        candidates.append(sorted[sorted.count - 1] + 1e-3)
        var best = candidates[0], bestAcc = -1.0
        for t in candidates {
            let a = accuracy(scores: scores, labels: labels, threshold: t)
            if a > bestAcc { bestAcc = a; best = t }
        }
        return best
    }

    /// The LFW 10-fold protocol: pairs split into 10 consecutive folds; for each, the best threshold on the
    /// other nine is applied to it. Returns the mean and (population) standard deviation of the fold accuracies.
    public static func tenFoldAccuracy(scores: [Float], labels: [Bool], folds: Int = 10) -> (mean: Double, std: Double, accuracies: [Double]) {
        precondition(scores.count == labels.count && scores.count >= folds, "need at least \(folds) labelled pairs")
        let n = scores.count
        var accs: [Double] = []
        for f in 0..<folds {
            let lo = f * n / folds, hi = (f + 1) * n / folds
            let trainIdx = (0..<n).filter { $0 < lo || $0 >= hi }
            let t = bestThreshold(scores: trainIdx.map { scores[$0] }, labels: trainIdx.map { labels[$0] })
            accs.append(accuracy(scores: Array(scores[lo..<hi]), labels: Array(labels[lo..<hi]), threshold: t))
        }
        let mean = accs.reduce(0, +) / Double(folds)
        let std = (accs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(folds)).squareRoot()
        return (mean, std, accs)
    }

    /// The lowest threshold whose false-accept rate on the negative pairs is at most `far`, with the FAR and
    /// true-accept rate it achieves.
    public static func threshold(scores: [Float], labels: [Bool], far: Double) -> (threshold: Float, far: Double, tar: Double) {
        let neg = zip(scores, labels).filter { !$0.1 }.map(\.0).sorted(by: >)
        let pos = zip(scores, labels).filter { $0.1 }.map(\.0)
        precondition(!neg.isEmpty && !pos.isEmpty, "need positive and negative pairs")
        let allowed = Int((far * Double(neg.count)).rounded(.down))
        // Accept iff score ≥ t: put t just above the (allowed + 1)-th highest impostor score.
        let t = allowed < neg.count ? neg[allowed].nextUp : neg[neg.count - 1]
        let fa = neg.filter { $0 >= t }.count, ta = pos.filter { $0 >= t }.count
        return (t, Double(fa) / Double(neg.count), Double(ta) / Double(pos.count))
    }
}
