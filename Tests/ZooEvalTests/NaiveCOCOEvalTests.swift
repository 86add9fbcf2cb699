import Foundation
import XCTest
@testable import ZooEval

/// The fast `COCOEvaluator` against a naive, line-by-line Swift rendering of pycocotools' `evaluateImg` and
/// `accumulate` (dictionaries of per-image lists, per-(image, category, area) results, a fresh stable sort per
/// (category, area, maxDets)) on random sets and random parameters (IoU thresholds, maxDets, area ranges).
/// Both do the same float64 operations, so precision and recall must agree exactly.
final class NaiveCOCOEvalTests: XCTestCase {
    /// pycocotools' algorithm, written for clarity (slow).
    enum Naive {
        struct EvalImg { var dtScores: [Double]; var dtMatches: [[Int]]; var dtIgnore: [[Bool]]; var gtIgnore: [Bool] }

        static func stableArgsort(_ keys: [Double]) -> [Int] {
            keys.indices.sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        }

        static func iou(_ d: ResultDetection, _ g: GTAnnotation) -> Double {
            let w = min(d.x + d.width, g.x + g.width) - max(d.x, g.x)
            if w <= 0 { return 0 }
            let h = min(d.y + d.height, g.y + g.height) - max(d.y, g.y)
            if h <= 0 { return 0 }
            let i = w * h
            let da = d.width * d.height, ga = g.width * g.height
            return i / (g.isCrowd ? da : da + ga - i)
        }

        static func evaluate(_ gt: GroundTruth, _ dets: [ResultDetection], _ p: COCOEvalParams) -> (precision: [Double], recall: [Double]) {
            let imgIds = Array(Set(gt.images.map(\.id))).sorted(), catIds = Array(Set(gt.categories.map(\.id))).sorted()
            struct Key: Hashable { let i: Int, c: Int }
            var gts: [Key: [GTAnnotation]] = [:]
            var dts: [Key: [(det: ResultDetection, id: Int)]] = [:]
            for a in gt.annotations where imgIds.contains(a.imageID) && catIds.contains(a.categoryID) {
                gts[Key(i: a.imageID, c: a.categoryID), default: []].append(a)
            }
            for (n, d) in dets.enumerated() where catIds.contains(d.categoryID) {
                dts[Key(i: d.imageID, c: d.categoryID), default: []].append((d, n + 1))
            }
            let T = p.iouThresholds.count, R = p.recallThresholds.count, K = catIds.count
            let A = p.areaRanges.count, M = p.maxDetections.count, maxDet = p.maxDetections.last!
            func evaluateImg(_ img: Int, _ cat: Int, _ rng: AreaRange) -> EvalImg? {
                let g0 = gts[Key(i: img, c: cat)] ?? [], d0 = dts[Key(i: img, c: cat)] ?? []
                if g0.isEmpty && d0.isEmpty { return nil }
                let ignore = g0.map { ($0.isCrowd || (p.ignoreDifficult && $0.isDifficult)) || $0.area < rng.min || $0.area > rng.max }
                let gtind = stableArgsort(ignore.map { $0 ? 1 : 0 })
                let g = gtind.map { g0[$0] }, gIg = gtind.map { ignore[$0] }
                let d = stableArgsort(d0.map { -$0.det.score }).prefix(maxDet).map { d0[$0] }
                var gtm = [[Int]](repeating: [Int](repeating: 0, count: g.count), count: T)
                var dtm = [[Int]](repeating: [Int](repeating: 0, count: d.count), count: T)
                var dtIg = [[Bool]](repeating: [Bool](repeating: false, count: d.count), count: T)
                if !g.isEmpty && !d.isEmpty {
                    for (t, thr) in p.iouThresholds.enumerated() {
                        for (di, dd) in d.enumerated() {
                            var best = min(thr, 1 - 1e-10), m = -1
                            for (gi, gg) in g.enumerated() {
                                if gtm[t][gi] > 0 && !gg.isCrowd { continue }
                                if m > -1 && !gIg[m] && gIg[gi] { break }
                                let v = iou(dd.det, gg)
                                if v < best { continue }
                                best = v; m = gi
                            }
                            if m == -1 { continue }
                            dtIg[t][di] = gIg[m]; dtm[t][di] = g[m].id; gtm[t][m] = dd.id
                        }
                    }
                }
                for t in 0..<T {
                    for (di, dd) in d.enumerated() where dtm[t][di] == 0 {
                        let a = dd.det.width * dd.det.height
                        if a < rng.min || a > rng.max { dtIg[t][di] = true }
                    }
                }
                return EvalImg(dtScores: d.map(\.det.score), dtMatches: dtm, dtIgnore: dtIg, gtIgnore: gIg)
            }
            var precision = [Double](repeating: -1, count: T * R * K * A * M)
            var recall = [Double](repeating: -1, count: T * K * A * M)
            for (k, cat) in catIds.enumerated() {
                for (a, rng) in p.areaRanges.enumerated() {
                    let E = imgIds.compactMap { evaluateImg($0, cat, rng) }
                    if E.isEmpty { continue }
                    for (m, md) in p.maxDetections.enumerated() {
                        let scores = E.flatMap { $0.dtScores.prefix(md) }
                        let inds = stableArgsort(scores.map { -$0 })
                        let npig = E.reduce(0) { $0 + $1.gtIgnore.filter { !$0 }.count }
                        if npig == 0 { continue }
                        for t in 0..<T {
                            let dtm = E.flatMap { $0.dtMatches[t].prefix(md) }, dtIg = E.flatMap { $0.dtIgnore[t].prefix(md) }
                            var tp = 0.0, fp = 0.0, rc: [Double] = [], pr: [Double] = []
                            for i in inds {
                                if dtm[i] != 0 && !dtIg[i] { tp += 1 }
                                if dtm[i] == 0 && !dtIg[i] { fp += 1 }
                                rc.append(tp / Double(npig)); pr.append(tp / (fp + tp + Double.ulpOfOne))
                            }
                            recall[((t * K + k) * A + a) * M + m] = rc.last ?? 0
                            if pr.count > 1 { for i in stride(from: pr.count - 1, to: 0, by: -1) where pr[i] > pr[i - 1] { pr[i - 1] = pr[i] } }
                            for (r, thr) in p.recallThresholds.enumerated() {
                                let pi = rc.firstIndex { $0 >= thr } ?? rc.count
                                precision[(((t * R + r) * K + k) * A + a) * M + m] = pi < pr.count ? pr[pi] : 0
                            }
                        }
                    }
                }
            }
            return (precision, recall)
        }
    }

    /// A small seeded generator (SplitMix64) so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
    }

    static func randomSet(seed: UInt64) -> (GroundTruth, [ResultDetection], COCOEvalParams) {
        var g = SplitMix(state: seed)
        func r2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
        let nImages = Int.random(in: 1...12, using: &g), nCats = Int.random(in: 1...5, using: &g)
        let imageIDs = (0..<nImages).map { _ in Int.random(in: 0...1000, using: &g) }
        let images = Array(Set(imageIDs)).shuffled(using: &g).map { EvalImage(id: $0, fileName: "\($0).jpg", width: 640, height: 480) }
        let cats = Array(Set((0..<nCats).map { _ in Int.random(in: 1...90, using: &g) })).map { EvalCategory(id: $0, name: "c\($0)") }
        var anns: [GTAnnotation] = [], dets: [ResultDetection] = []
        let ties = Bool.random(using: &g)
        for img in images {
            for _ in 0..<Int.random(in: 0...7, using: &g) {
                let c = cats.randomElement(using: &g)!.id
                let w = r2(exp(Double.random(in: 0...6, using: &g))), h = r2(exp(Double.random(in: 0...6, using: &g)))
                let x = r2(Double.random(in: 0...600, using: &g)), y = r2(Double.random(in: 0...440, using: &g))
                let area = Bool.random(using: &g) ? w * h : r2(w * h * Double.random(in: 0.3...1, using: &g))
                anns.append(GTAnnotation(id: anns.count + (Int.random(in: 0...9, using: &g) == 0 ? 0 : 1), imageID: img.id, categoryID: c,
                                         x: x, y: y, width: w, height: h, area: area,
                                         isCrowd: Int.random(in: 0...6, using: &g) == 0, isDifficult: Int.random(in: 0...8, using: &g) == 0))
                for _ in 0..<Int.random(in: 0...3, using: &g) {
                    dets.append(ResultDetection(imageID: img.id, categoryID: c, x: r2(x + Double.random(in: -0.2...0.2, using: &g) * w),
                                                y: r2(y + Double.random(in: -0.2...0.2, using: &g) * h), width: r2(w * Double.random(in: 0.7...1.3, using: &g)),
                                                height: r2(h * Double.random(in: 0.7...1.3, using: &g)),
                                                score: ties ? Double(Int.random(in: 0...5, using: &g)) / 5 : Double.random(in: 0...1, using: &g)))
                }
            }
            for _ in 0..<Int.random(in: 0...(Bool.random(using: &g) ? 4 : 40), using: &g) {
                dets.append(ResultDetection(imageID: img.id, categoryID: cats.randomElement(using: &g)!.id,
                                            x: r2(Double.random(in: 0...600, using: &g)), y: r2(Double.random(in: 0...440, using: &g)),
                                            width: r2(exp(Double.random(in: 0...6, using: &g))), height: r2(exp(Double.random(in: 0...6, using: &g))),
                                            score: ties ? Double(Int.random(in: 0...5, using: &g)) / 5 : Double.random(in: 0...1, using: &g)))
            }
        }
        var p = COCOEvalParams()
        switch seed % 4 {
        case 1: p.maxDetections = [1, 3, 7].map { $0 * Int.random(in: 1...3, using: &g) }
        case 2: p.iouThresholds = [0.3, 0.5, 0.7]; p.recallThresholds = NumpyCompat.linspace(0, 1, 11)
        case 3: p.areaRanges = [AreaRange("all", 0, 1e10), AreaRange("tiny", 0, 100), AreaRange("rest", 100, 1e10)]
        default: break
        }
        p.ignoreDifficult = seed % 3 != 0
        return (GroundTruth(images: images, categories: cats, annotations: anns), dets.shuffled(using: &g), p)
    }

    func testFastMatchesNaiveOnRandomSets() throws {
        for seed in UInt64(1)...200 {
            let (gt, dets, p) = Self.randomSet(seed: seed)
            let fast = try COCOEvaluator(params: p).evaluate(groundTruth: gt, detections: dets)
            let naive = Naive.evaluate(gt, dets, fast.params)
            XCTAssertEqual(fast.precision, naive.precision, "seed \(seed): precision")
            XCTAssertEqual(fast.recall, naive.recall, "seed \(seed): recall")
            if fast.precision != naive.precision { break }
        }
    }
}
