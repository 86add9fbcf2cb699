import Foundation

/// A verification pairs list (`image_a,image_b[,label]`) and the statistics `vz verify --pairs` reports.
public struct FacePairs {
    public struct Pair: Sendable, Equatable {
        public var a: String, b: String
        /// true = same person, false = different, nil = unlabelled.
        public var same: Bool?
    }
    public var pairs: [Pair]

    /// Parses CSV text: optional header (a first row whose label is not a label word, or that starts with
    /// `image_a`), labels `1/-1/0`, `same/different`, `true/false` (case-insensitive); `#` lines and blank lines skipped.
    public init(csv text: String, file: String) throws {
        pairs = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cols = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if pairs.isEmpty && (cols.first?.lowercased() == "image_a") { continue }
            guard cols.count >= 2, !cols[0].isEmpty, !cols[1].isEmpty else {
                throw FacePairsError(message: "\(file):\(i + 1): expected image_a,image_b[,label], got '\(line)'")
            }
            var same: Bool?
            if cols.count >= 3 && !cols[2].isEmpty {
                switch cols[2].lowercased() {
                case "1", "same", "true", "yes": same = true
                case "-1", "0", "different", "false", "no": same = false
                default:
                    if pairs.isEmpty { continue }   // a header row with other column names
                    throw FacePairsError(message: "\(file):\(i + 1): label '\(cols[2])' is not 1/-1, same/different or true/false")
                }
            }
            pairs.append(Pair(a: cols[0], b: cols[1], same: same))
        }
    }

    /// Accuracy at `threshold` and TAR at FAR 1e-2 / 1e-3 over labelled similarities.
    public static func summary(similarities: [Float], labels: [Bool], threshold: Float) -> [String: Double] {
        precondition(similarities.count == labels.count)
        let pos = zip(similarities, labels).filter { $0.1 }.map(\.0)
        let neg = zip(similarities, labels).filter { !$0.1 }.map(\.0)
        var out: [String: Double] = ["pairs": Double(labels.count), "positives": Double(pos.count), "negatives": Double(neg.count)]
        if !labels.isEmpty {
            let correct = zip(similarities, labels).filter { ($0.0 > threshold) == $0.1 }.count
            out["accuracy"] = Double(correct) / Double(labels.count)
            out["threshold"] = JSONPrecision.threshold(threshold) as Double
            if !pos.isEmpty { out["tar_at_threshold"] = Double(pos.filter { $0 > threshold }.count) / Double(pos.count) }
            if !neg.isEmpty { out["far_at_threshold"] = Double(neg.filter { $0 > threshold }.count) / Double(neg.count) }
        }
        for (far, key) in [(1e-2, "tar_at_far_1e-2"), (1e-3, "tar_at_far_1e-3")] where !pos.isEmpty && !neg.isEmpty {
            let t = thresholdAtFAR(negatives: neg, far: far)
            out[key] = Double(pos.filter { $0 > t }.count) / Double(pos.count)
        }
        return out
    }

    /// The lowest threshold τ such that at most ⌊far · N⌋ negatives have similarity > τ (accept = similarity > τ).
    public static func thresholdAtFAR(negatives: [Float], far: Double) -> Float {
        let sorted = negatives.sorted(by: >)
        let allowed = Int((far * Double(sorted.count)).rounded(.down))
        return allowed < sorted.count ? sorted[allowed] : -1
    }
}

public struct FacePairsError: Error, CustomStringConvertible, LocalizedError {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
