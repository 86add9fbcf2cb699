import Foundation

/// Open-set identification accuracy on a folder-per-person layout (`vz identify --evaluate DIR`).
///
/// Protocol: every identity with two or more images enrols its first image (by file name) into an in-memory
/// gallery; its other images are **mated** probes. Identities with a single image are **non-mated** probes
/// (nobody in the gallery). Each probe is searched exactly as `vz identify` searches (`Gallery.top2`: the best
/// person's best cosine), against the threshold `OpenSetThreshold` gives for the gallery's N embeddings.
///
/// Reported (the metrics of ISO/IEC 19795-1 and NIST FRVT 1:N):
/// - `rank1`: closed-set identification rate — mated probes whose best person is theirs (no threshold);
/// - `dir`: detection-and-identification rate at the threshold — mated probes whose best person is theirs *and*
///   passes it;
/// - `fpir`: measured false positive identification rate — non-mated probes whose best similarity passes it
///   (the target is `target_fpir`);
/// - `misidentified`: mated probes named as someone else (best person wrong and passing);
/// - `empirical_threshold` / `dir_at_empirical`: the threshold at which the non-mated probes give exactly the
///   target FPIR (the score of rank ⌊FPIR · n⌋ among their best similarities), and the DIR there — what a
///   threshold fitted to these very probes would give, for comparison with the calibrated one.
public struct IdentificationEvaluation: Codable, Sendable, Equatable {
    public var identities: Int
    public var gallery_people: Int
    public var gallery_embeddings: Int
    public var mated_probes: Int
    public var non_mated_probes: Int
    public var rank1: Double
    public var threshold: Float
    public var threshold_source: String
    /// nil with a fixed `--threshold`.
    public var target_fpir: Double?
    public var dir: Double
    /// nil without non-mated probes.
    public var fpir: Double?
    public var misidentified: Double
    public var empirical_threshold: Float?
    public var dir_at_empirical: Double?
    public var recognizer: String
    public var recognizer_version: String

    /// One image's embedding with its identity (folder name) and file name.
    public struct Sample: Sendable {
        public var identity: String
        public var image: String
        public var embedding: [Float]
        public init(identity: String, image: String, embedding: [Float]) {
            self.identity = identity; self.image = image; self.embedding = embedding
        }
    }

    /// Why an evaluation cannot run.
    public struct Unusable: Error, CustomStringConvertible, LocalizedError {
        public var description: String
        public var errorDescription: String? { description }
    }

    /// Evaluates `samples` (any order) of `recognizer` with `policy`.
    public static func run(_ samples: [Sample], recognizer: RecognizerID, policy: OpenSetThreshold) throws -> IdentificationEvaluation {
        let byIdentity = Dictionary(grouping: samples, by: \.identity).mapValues { $0.sorted { $0.image < $1.image } }
        let names = byIdentity.keys.sorted()
        var enrolled: [String] = [], matrix: [Float] = [], owner: [Int32] = []
        var mated: [(identity: String, embedding: [Float])] = [], nonMated: [[Float]] = []
        guard let dim = samples.first?.embedding.count, dim > 0 else { throw Unusable(description: "no embeddings to evaluate") }
        for n in names {
            let list = byIdentity[n]!
            for s in list where s.embedding.count != dim {
                throw Unusable(description: "\(s.image): embedding of \(s.embedding.count) values, others have \(dim)")
            }
            if list.count >= 2 {
                owner.append(Int32(enrolled.count)); enrolled.append(n)
                matrix += FaceVerifier.normalized(list[0].embedding)
                for s in list.dropFirst() { mated.append((n, s.embedding)) }
            } else {
                nonMated.append(list[0].embedding)
            }
        }
        guard !enrolled.isEmpty, !mated.isEmpty else {
            throw Unusable(description: "no identity has two or more images: nothing to enrol and probe (layout: DIR/<person>/<images>)")
        }
        let snapshot = GallerySnapshot(revision: 0, recognizer: recognizer, dimension: dim, people: enrolled, owner: owner, matrix: matrix)
        guard let t = policy.threshold(recognizer: recognizer, comparisons: snapshot.rows) else {
            throw Unusable(description: "no impostor tail or calibrated threshold for \(recognizer): pass --threshold")
        }
        var rank1 = 0, dir = 0, wrong = 0
        var matedScores: [(correct: Bool, score: Float)] = []
        for p in mated {
            let (best, _) = Gallery.top2(snapshot, query: FaceVerifier.normalized(p.embedding))
            guard let best else { continue }
            let correct = best.person == p.identity
            if correct { rank1 += 1 }
            if best.similarity > t.value { if correct { dir += 1 } else { wrong += 1 } }
            matedScores.append((correct, best.similarity))
        }
        let nonMatedBest = nonMated.compactMap { Gallery.top2(snapshot, query: FaceVerifier.normalized($0)).0?.similarity }
        let falseHits = nonMatedBest.filter { $0 > t.value }.count
        var empirical: Float?, dirEmpirical: Double?
        if !nonMatedBest.isEmpty {
            let sorted = nonMatedBest.sorted(by: >)
            let k = Int(policy.fpir * Double(sorted.count))   // at most k non-mated probes strictly above
            if k < sorted.count {
                let e = sorted[k]
                empirical = e
                dirEmpirical = Double(matedScores.filter { $0.correct && $0.score > e }.count) / Double(mated.count)
            }
        }
        return IdentificationEvaluation(
            identities: names.count, gallery_people: enrolled.count, gallery_embeddings: snapshot.rows,
            mated_probes: mated.count, non_mated_probes: nonMated.count,
            rank1: Double(rank1) / Double(mated.count), threshold: t.value, threshold_source: t.source,
            target_fpir: policy.user == nil ? policy.fpir : nil,
            dir: Double(dir) / Double(mated.count),
            fpir: nonMated.isEmpty ? nil : Double(falseHits) / Double(nonMated.count),
            misidentified: Double(wrong) / Double(mated.count),
            empirical_threshold: empirical, dir_at_empirical: dirEmpirical,
            recognizer: recognizer.name, recognizer_version: recognizer.version)
    }
}
