import Foundation

/// COCO bbox evaluation that reproduces pycocotools 2.0.11 `COCOeval(iouType='bbox')` number for number.
///
/// Port of the algorithm of pycocotools `cocoeval.py` (`_prepare`, `computeIoU`, `evaluateImg`, `accumulate`,
/// `summarize`) and `maskApi.c` `bbIou`, restructured for speed:
/// - ground truth and detections are bucketed once per (image, category) cell with a counting sort that keeps
///   file order, as pycocotools' `_gts[imgId, catId]` lists do;
/// - each cell is evaluated for all area ranges and IoU thresholds from one IoU matrix (`D, G`, row-major,
///   float64) in flat scratch buffers, images in parallel;
/// - accumulation sorts each category's detections once (score descending, ties in image-id then per-image
///   order, i.e. NumPy's stable mergesort on the concatenation) and derives every `maxDets` subset from it.
///
/// pycocotools behaviours kept on purpose (they change numbers): detections are loaded with `area = w * h`,
/// `iscrowd = 0` and ids `1…N`; ground-truth `ignore` is `iscrowd` (plus VOC `difficult` here when
/// `ignoreDifficult`); a detection matched to a ground truth whose id is 0 counts as unmatched (pycocotools
/// stores the matched id and tests it for non-zero); `stats[0]` uses `maxDets == 100` literally.
public struct COCOEvaluator: Sendable {
    public var params: COCOEvalParams

    public init(params: COCOEvalParams = COCOEvalParams()) { self.params = params }

    /// Evaluates `detections` (in the ground truth's image and category ids) against `groundTruth`.
    ///
    /// Throws when a detection refers to an image that is not in the ground truth (pycocotools asserts
    /// "Results do not correspond to current coco set"); detections of categories absent from the ground truth
    /// are left out, as pycocotools does.
    public func evaluate(groundTruth gt: GroundTruth, detections: [ResultDetection]) throws -> COCOEvaluation {
        let p = params
        guard !p.maxDetections.isEmpty, p.maxDetections.allSatisfy({ $0 >= 0 }) else {
            throw EvalError.invalidOption("maxDets must be non-negative integers, got \(p.maxDetections)")
        }
        let imageIDs = Array(Set(gt.images.map(\.id))).sorted()
        let categories = Dictionary(gt.categories.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            .values.sorted { $0.id < $1.id }
        let I = imageIDs.count, K = categories.count
        let T = p.iouThresholds.count, R = p.recallThresholds.count
        let A = p.areaRanges.count, M = p.maxDetections.count
        let maxDetLast = p.maxDetections[M - 1]
        var imageIndex = [Int: Int](minimumCapacity: I)
        for (i, id) in imageIDs.enumerated() { imageIndex[id] = i }
        var categoryIndex = [Int: Int](minimumCapacity: K)
        for (k, c) in categories.enumerated() { categoryIndex[c.id] = k }
        let cells = I * K

        // Ground truth kept by pycocotools' getAnnIds(imgIds, catIds), bucketed per cell in file order.
        var gtCell = [Int](), gtKeep = [Int]()
        gtCell.reserveCapacity(gt.annotations.count); gtKeep.reserveCapacity(gt.annotations.count)
        for (n, a) in gt.annotations.enumerated() {
            guard let i = imageIndex[a.imageID], let k = categoryIndex[a.categoryID] else { continue }
            gtCell.append(i * K + k); gtKeep.append(n)
        }
        var dtCell = [Int](), dtKeep = [Int]()
        dtCell.reserveCapacity(detections.count); dtKeep.reserveCapacity(detections.count)
        var detsPerCategory = [Int](repeating: 0, count: K)
        for (n, d) in detections.enumerated() {
            guard let i = imageIndex[d.imageID] else {
                throw EvalError.mismatch("detection \(n) is on image id \(d.imageID), which is not in the ground truth "
                    + "(pycocotools: 'Results do not correspond to current coco set')")
            }
            guard let k = categoryIndex[d.categoryID] else { continue }
            dtCell.append(i * K + k); dtKeep.append(n); detsPerCategory[k] += 1
        }
        let gtStart = Self.bucketStarts(gtCell, cells: cells)
        let gtOrder = Self.bucketFill(gtCell, starts: gtStart)
        let dtStart = Self.bucketStarts(dtCell, cells: cells)
        let dtOrder = Self.bucketFill(dtCell, starts: dtStart)

        // Flat per-annotation arrays (bbox x, y, w, h as float64, like pycocotools' `_preproc`).
        let G = gtKeep.count, D = dtKeep.count
        var gBox = [Double](repeating: 0, count: 4 * G), gArea = [Double](repeating: 0, count: G)
        var gCrowd = [Bool](repeating: false, count: G), gIgnore = [Bool](repeating: false, count: G)
        var gNonZeroID = [Bool](repeating: false, count: G)
        var gtPerCategory = [Int](repeating: 0, count: K)
        for (j, n) in gtKeep.enumerated() {
            let a = gt.annotations[n]
            gBox[4 * j] = a.x; gBox[4 * j + 1] = a.y; gBox[4 * j + 2] = a.width; gBox[4 * j + 3] = a.height
            gArea[j] = a.area; gCrowd[j] = a.isCrowd
            gIgnore[j] = a.isCrowd || (p.ignoreDifficult && a.isDifficult)
            gNonZeroID[j] = a.id != 0
            if !gIgnore[j] { gtPerCategory[gtCell[j] % K] += 1 }
        }
        var dBox = [Double](repeating: 0, count: 4 * D), dArea = [Double](repeating: 0, count: D)
        var dScore = [Double](repeating: 0, count: D)
        for (j, n) in dtKeep.enumerated() {
            let d = detections[n]
            dBox[4 * j] = d.x; dBox[4 * j + 1] = d.y; dBox[4 * j + 2] = d.width; dBox[4 * j + 3] = d.height
            dArea[j] = d.width * d.height; dScore[j] = d.score
        }

        // Detections kept per cell (the best `maxDetLast` by score): their slots in the flat result buffers.
        var keptStart = [Int](repeating: 0, count: cells + 1)
        for c in 0..<cells { keptStart[c + 1] = keptStart[c] + Swift.min(dtStart[c + 1] - dtStart[c], maxDetLast) }
        let N = keptStart[cells]
        // Results of evaluateImg: per kept detection its score, its rank in its cell and, layout `N, A, T`, a
        // flag per (area, IoU threshold): 0 = ignored, 1 = true positive, 2 = false positive; per (cell, area)
        // the count of non-ignored ground truth.
        var keptScore = [Double](repeating: 0, count: N)
        var keptRank = [Int32](repeating: 0, count: N)
        var flags = [UInt8](repeating: 0, count: A * T * N)
        var npig = [Int32](repeating: 0, count: cells * A)

        let ctx = CellContext(K: K, T: T, A: A, maxDet: maxDetLast, iouThresholds: p.iouThresholds,
                              areaRanges: p.areaRanges)
        gBox.withUnsafeBufferPointer { gBox in gArea.withUnsafeBufferPointer { gArea in
        gCrowd.withUnsafeBufferPointer { gCrowd in gIgnore.withUnsafeBufferPointer { gIgnore in
        gNonZeroID.withUnsafeBufferPointer { gNonZeroID in
        dBox.withUnsafeBufferPointer { dBox in dArea.withUnsafeBufferPointer { dArea in
        dScore.withUnsafeBufferPointer { dScore in
        gtStart.withUnsafeBufferPointer { gtStart in gtOrder.withUnsafeBufferPointer { gtOrder in
        dtStart.withUnsafeBufferPointer { dtStart in dtOrder.withUnsafeBufferPointer { dtOrder in
        keptStart.withUnsafeBufferPointer { keptStart in
        keptScore.withUnsafeMutableBufferPointer { keptScore in keptRank.withUnsafeMutableBufferPointer { keptRank in
        flags.withUnsafeMutableBufferPointer { flags in npig.withUnsafeMutableBufferPointer { npig in
            let input = CellInput(gBox: gBox, gArea: gArea, gCrowd: gCrowd, gIgnore: gIgnore, gNonZeroID: gNonZeroID,
                                  dBox: dBox, dArea: dArea, dScore: dScore, gtStart: gtStart, gtOrder: gtOrder,
                                  dtStart: dtStart, dtOrder: dtOrder, keptStart: keptStart)
            let output = CellOutput(keptScore: keptScore, keptRank: keptRank, flags: flags, npig: npig, total: N)
            Self.parallel(I, minPerChunk: 16) { lo, hi in
                var scratch = CellScratch()
                for i in lo..<hi {
                    for k in 0..<K { Self.evaluateCell(i * K + k, ctx, input, output, &scratch) }
                }
            }
        }}}}}}}}}}}}}}}}}

        // accumulate(): precision T×R×K×A×M and recall T×K×A×M, -1 where undefined.
        var precision = [Double](repeating: -1, count: T * R * K * A * M)
        var recall = [Double](repeating: -1, count: T * K * A * M)
        let recThrs = p.recallThresholds, maxDets = p.maxDetections
        keptScore.withUnsafeBufferPointer { keptScore in keptRank.withUnsafeBufferPointer { keptRank in
        flags.withUnsafeBufferPointer { flags in npig.withUnsafeBufferPointer { npig in
        keptStart.withUnsafeBufferPointer { keptStart in
        precision.withUnsafeMutableBufferPointer { precision in recall.withUnsafeMutableBufferPointer { recall in
            Self.parallel(K, minPerChunk: 1) { lo, hi in
                let AT = A * T
                var order = [Int](), sortedRank = [Int32](), sortedFlags = [UInt8]()
                var capacity = 0
                var rc = UnsafeMutablePointer<Double>.allocate(capacity: 1), pr = UnsafeMutablePointer<Double>.allocate(capacity: 1)
                for k in lo..<hi {
                    // Category k's kept detections in concatenation order (image-id order, then score order).
                    order.removeAll(keepingCapacity: true)
                    for i in 0..<I {
                        let c = i * K + k
                        for s in keptStart[c]..<keptStart[c + 1] { order.append(s) }
                    }
                    // Stable sort by descending score == sort by (−score, concatenation position).
                    order.sort { keptScore[$0] > keptScore[$1] || (keptScore[$0] == keptScore[$1] && $0 < $1) }
                    // Gather ranks and flag blocks into score order once (sequential access below).
                    let nk = order.count
                    if nk > capacity {
                        rc.deallocate(); pr.deallocate()
                        capacity = nk
                        rc = .allocate(capacity: nk); pr = .allocate(capacity: nk)
                    }
                    sortedRank.removeAll(keepingCapacity: true); sortedFlags.removeAll(keepingCapacity: true)
                    for s in order {
                        sortedRank.append(keptRank[s])
                        sortedFlags.append(contentsOf: UnsafeBufferPointer(rebasing: flags[(s * AT)..<(s * AT + AT)]))
                    }
                    for a in 0..<A {
                        var npigTotal = 0
                        for i in 0..<I { npigTotal += Int(npig[(i * K + k) * A + a]) }
                        if npigTotal == 0 { continue }
                        let np = Double(npigTotal)
                        for m in 0..<M {
                            let maxDet = Int32(clamping: maxDets[m])
                            for t in 0..<T {
                                // tp/fp cumulative sums → recall and precision (raw buffers: no append cost).
                                var tp = 0.0, fp = 0.0, nd = 0
                                sortedFlags.withUnsafeBufferPointer { fl in sortedRank.withUnsafeBufferPointer { rk in
                                    for j in 0..<nk where rk[j] < maxDet {
                                        let flag = fl[j * AT + a * T + t]
                                        if flag == 1 { tp += 1 } else if flag == 2 { fp += 1 }
                                        rc[nd] = tp / np
                                        pr[nd] = tp / (fp + tp + Double.ulpOfOne)  // np.spacing(1)
                                        nd += 1
                                    }
                                }}
                                recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0
                                if nd > 1 {
                                    for j in stride(from: nd - 1, to: 0, by: -1) where pr[j] > pr[j - 1] { pr[j - 1] = pr[j] }
                                }
                                // np.searchsorted(rc, recThrs, side='left'); indices past the end leave 0.
                                var j = 0
                                for r in 0..<R {
                                    while j < nd && rc[j] < recThrs[r] { j += 1 }
                                    precision[(((t * R + r) * K + k) * A + a) * M + m] = j < nd ? pr[j] : 0
                                }
                            }
                        }
                    }
                }
                rc.deallocate(); pr.deallocate()
            }
        }}}}}}}

        return COCOEvaluation(params: p, imageIDs: imageIDs, categories: categories, precision: precision,
                              recall: recall, gtCounts: gtPerCategory, detectionCounts: detsPerCategory)
    }

    // MARK: - evaluateImg for one (image, category) cell

    struct CellContext {
        let K: Int, T: Int, A: Int, maxDet: Int
        let iouThresholds: [Double]
        let areaRanges: [AreaRange]
    }

    struct CellInput {
        let gBox: UnsafeBufferPointer<Double>, gArea: UnsafeBufferPointer<Double>
        let gCrowd: UnsafeBufferPointer<Bool>, gIgnore: UnsafeBufferPointer<Bool>, gNonZeroID: UnsafeBufferPointer<Bool>
        let dBox: UnsafeBufferPointer<Double>, dArea: UnsafeBufferPointer<Double>, dScore: UnsafeBufferPointer<Double>
        let gtStart: UnsafeBufferPointer<Int>, gtOrder: UnsafeBufferPointer<Int>
        let dtStart: UnsafeBufferPointer<Int>, dtOrder: UnsafeBufferPointer<Int>
        let keptStart: UnsafeBufferPointer<Int>
    }

    /// Output buffers; every cell writes only its own slots, so images can run in parallel.
    struct CellOutput: @unchecked Sendable {
        let keptScore: UnsafeMutableBufferPointer<Double>
        let keptRank: UnsafeMutableBufferPointer<Int32>
        let flags: UnsafeMutableBufferPointer<UInt8>
        let npig: UnsafeMutableBufferPointer<Int32>
        let total: Int
    }

    /// Per-thread scratch, grown as needed and reused across cells.
    struct CellScratch {
        var dets = [Int](), gts = [Int](), ious = [Double](), gtind = [Int](), gtIg = [Bool]()
        var gtMatched = [Bool](), dtIg = [Bool](), dtNonZero = [Bool]()
    }

    static func evaluateCell(_ c: Int, _ ctx: CellContext, _ input: CellInput, _ out: CellOutput,
                             _ s: inout CellScratch) {
        let dCount = input.dtStart[c + 1] - input.dtStart[c]
        let G = input.gtStart[c + 1] - input.gtStart[c]
        if dCount == 0 && G == 0 { return }
        let (T, A) = (ctx.T, ctx.A)
        // Detections by descending score, stable (np.argsort(-score, kind='mergesort')), cut at maxDet.
        s.dets.removeAll(keepingCapacity: true)
        for j in input.dtStart[c]..<input.dtStart[c + 1] { s.dets.append(input.dtOrder[j]) }
        let score = input.dScore
        s.dets.sort { score[$0] > score[$1] || (score[$0] == score[$1] && $0 < $1) }
        let D = Swift.min(dCount, ctx.maxDet)
        let base = input.keptStart[c]
        for d in 0..<D {
            out.keptScore[base + d] = score[s.dets[d]]
            out.keptRank[base + d] = Int32(d)
        }
        s.gts.removeAll(keepingCapacity: true)
        for j in input.gtStart[c]..<input.gtStart[c + 1] { s.gts.append(input.gtOrder[j]) }

        // IoU matrix D × G (row-major), ground truth in file order: maskApi.c bbIou.
        if s.ious.count < D * G { s.ious = [Double](repeating: 0, count: D * G) }
        let gb = input.gBox, db = input.dBox
        for g in 0..<G {
            let gi = s.gts[g]
            let gx = gb[4 * gi], gy = gb[4 * gi + 1], gw = gb[4 * gi + 2], gh = gb[4 * gi + 3]
            let ga = gw * gh, crowd = input.gCrowd[gi]
            for d in 0..<D {
                let di = s.dets[d]
                let dx = db[4 * di], dy = db[4 * di + 1], dw = db[4 * di + 2], dh = db[4 * di + 3]
                let da = dw * dh
                var o = 0.0
                let w = Swift.min(dw + dx, gw + gx) - Swift.max(dx, gx)
                if w > 0 {
                    let h = Swift.min(dh + dy, gh + gy) - Swift.max(dy, gy)
                    if h > 0 {
                        let inter = w * h
                        let u = crowd ? da : da + ga - inter
                        o = inter / u
                    }
                }
                s.ious[d * G + g] = o
            }
        }

        if s.gtind.count < G { s.gtind = [Int](repeating: 0, count: G); s.gtIg = [Bool](repeating: false, count: G)
                               s.gtMatched = [Bool](repeating: false, count: G) }
        if s.dtIg.count < D { s.dtIg = [Bool](repeating: false, count: D); s.dtNonZero = [Bool](repeating: false, count: D) }
        let flagsBase = out.flags.baseAddress!
        for a in 0..<A {
            let rng = ctx.areaRanges[a]
            // _ignore, then ground truth with ignore last (stable): non-ignored in file order, then ignored.
            var n = 0, npig: Int32 = 0
            for g in 0..<G where !(input.gIgnore[s.gts[g]] || rng.excludes(input.gArea[s.gts[g]])) {
                s.gtind[n] = g; s.gtIg[n] = false; n += 1; npig += 1
            }
            for g in 0..<G where input.gIgnore[s.gts[g]] || rng.excludes(input.gArea[s.gts[g]]) {
                s.gtind[n] = g; s.gtIg[n] = true; n += 1
            }
            out.npig[c * A + a] = npig
            for t in 0..<T {
                let thr = Swift.min(ctx.iouThresholds[t], 1 - 1e-10)
                for g in 0..<G { s.gtMatched[g] = false }
                for d in 0..<D {
                    s.dtIg[d] = false; s.dtNonZero[d] = false
                    if G == 0 { continue }
                    var iou = thr, m = -1
                    let row = d * G
                    for g in 0..<G {
                        let gi = s.gtind[g]
                        if s.gtMatched[g] && !input.gCrowd[s.gts[gi]] { continue }
                        if m > -1 && !s.gtIg[m] && s.gtIg[g] { break }
                        let v = s.ious[row + gi]
                        if v < iou { continue }
                        iou = v; m = g
                    }
                    if m == -1 { continue }
                    s.dtIg[d] = s.gtIg[m]
                    s.dtNonZero[d] = input.gNonZeroID[s.gts[s.gtind[m]]]
                    s.gtMatched[m] = true
                }
                let f = flagsBase + base * A * T + a * T + t
                for d in 0..<D {
                    let ignored = s.dtIg[d] || (!s.dtNonZero[d] && rng.excludes(input.dArea[s.dets[d]]))
                    f[d * A * T] = ignored ? 0 : (s.dtNonZero[d] ? 1 : 2)
                }
            }
        }
    }

    // MARK: - helpers

    /// Start offsets of each bucket (`cells + 1` entries) for a counting sort.
    static func bucketStarts(_ cellOf: [Int], cells: Int) -> [Int] {
        var starts = [Int](repeating: 0, count: cells + 1)
        for c in cellOf { starts[c + 1] += 1 }
        for c in 0..<cells { starts[c + 1] += starts[c] }
        return starts
    }

    /// Element indices grouped by bucket, each bucket in input order (a stable counting sort).
    static func bucketFill(_ cellOf: [Int], starts: [Int]) -> [Int] {
        var next = starts
        var order = [Int](repeating: 0, count: cellOf.count)
        for (j, c) in cellOf.enumerated() { order[next[c]] = j; next[c] += 1 }
        return order
    }

    /// `concurrentPerform` over `[0, total)` in contiguous chunks of at least `minPerChunk`.
    static func parallel(_ total: Int, minPerChunk: Int, _ body: (Int, Int) -> Void) {
        guard total > 0 else { return }
        let workers = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunks = Swift.max(1, Swift.min(workers * 4, total / Swift.max(1, minPerChunk)))
        if chunks == 1 { body(0, total); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { ch in
            let lo = total * ch / chunks, hi = total * (ch + 1) / chunks
            if lo < hi { body(lo, hi) }
        }
    }
}
