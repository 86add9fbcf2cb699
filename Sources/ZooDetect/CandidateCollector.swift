/// Gathers a detector's candidates before NMS: those with score > `confidence` and an allowed class, keeping
/// only the `limit` highest-scoring ones (a bounded min-heap), so that the cost of NMS — and the memory of the
/// candidate list — never depends on `confidence` (Ultralytics' `max_nms`, torchvision's `pre_nms_top_n`).
///
/// Ties: among equal scores the earlier-offered candidate ranks higher, and `detections()` returns candidates
/// by descending score, ties in offer order — exactly the order a stable sort of all offered candidates gives,
/// so NMS over the result keeps the same boxes as NMS over every candidate whenever `limit` is not reached.
///
/// Naive reference: `TopCandidatesReference` (sort everything, keep a prefix); tested against it.
public struct CandidateCollector {
    /// Minimum score: candidates must exceed it.
    public let confidence: Float
    /// Candidates kept at most.
    public let limit: Int
    /// `allowed[c]`: class `c` is kept (nil: every class).
    private let allowed: [Bool]?
    /// Min-heap on rank: `heap[0]` is the worst kept candidate (lowest score; among equals the latest).
    private var heap: [Entry] = []
    private var sequence = 0
    /// Candidates offered that passed the score and class tests (kept or not).
    public private(set) var offered = 0
    /// How `offerClasses` treats one box's per-class scores: every class above the threshold becomes a candidate
    /// (true: darknet's and NanoDet's own decoding, `yolo val`'s `multi_label=True`), or only the best allowed
    /// class does (false: one label per box, as Ultralytics' `yolo predict`).
    public var multiLabel = true

    private struct Entry {
        var detection: Detection
        var sequence: Int
        /// True when `self` ranks below `other` (is a worse candidate).
        @inline(__always) func ranksBelow(_ other: Entry) -> Bool {
            detection.score < other.detection.score
                || (detection.score == other.detection.score && sequence > other.sequence)
        }
    }

    /// - Parameters:
    ///   - classes: class ids to keep (nil: all); ids outside `0..<classCount` are ignored.
    public init(confidence: Float, limit: Int, classes: Set<Int>? = nil, classCount: Int = 0) {
        self.confidence = confidence
        self.limit = Swift.max(0, limit)
        if let classes {
            var mask = [Bool](repeating: false, count: Swift.max(classCount, (classes.max() ?? -1) + 1))
            for c in classes where c >= 0 { mask[c] = true }
            allowed = mask
        } else {
            allowed = nil
        }
        heap.reserveCapacity(Swift.min(self.limit, 4096))
    }

    /// Whether a candidate of class `classID` with `score` would be considered at all (cheap pre-test, so a
    /// decoder can skip building the box).
    @inline(__always) public func accepts(score: Float, classID: Int) -> Bool {
        guard score > confidence else { return false }
        if let allowed { return classID < allowed.count && allowed[classID] }
        return true
    }

    /// Offers one candidate; `box` is evaluated only if the candidate can be kept.
    @inline(__always)
    public mutating func offer(score: Float, classID: Int, keypoints: [Float]? = nil, box: () -> Box) {
        guard accepts(score: score, classID: classID) else { return }
        offered += 1
        let seq = sequence
        sequence += 1
        guard limit > 0 else { return }
        if heap.count == limit {
            // Full: a newcomer replaces the worst only if it ranks above it (equal score: the earlier stays).
            guard score > heap[0].detection.score else { return }
            heap[0] = Entry(detection: Detection(box: box(), score: score, classID: classID, keypoints: keypoints), sequence: seq)
            siftDown(0)
        } else {
            heap.append(Entry(detection: Detection(box: box(), score: score, classID: classID, keypoints: keypoints), sequence: seq))
            siftUp(heap.count - 1)
        }
    }

    /// Offers one box with a score per class (`scores[k * stride]` for class `k < count`): each class as a
    /// candidate if `multiLabel`, else only the best-scoring allowed class (the lowest id among equal scores).
    /// `box` is evaluated at most once.
    @inline(__always)
    public mutating func offerClasses(scores: UnsafePointer<Float>, count: Int, stride: Int = 1, box: () -> Box) {
        if multiLabel {
            var built: Box?
            for k in 0..<count {
                offer(score: scores[k * stride], classID: k) {
                    if let built { return built }
                    let b = box(); built = b; return b
                }
            }
            return
        }
        var best = -1
        var bestScore = -Float.infinity
        for k in 0..<count where accepts(score: scores[k * stride], classID: k) && scores[k * stride] > bestScore {
            best = k; bestScore = scores[k * stride]
        }
        if best >= 0 { offer(score: bestScore, classID: best, box: box) }
    }

    /// The kept candidates by descending score, ties in offer order.
    public func detections() -> [Detection] {
        heap.sorted { $1.ranksBelow($0) }.map(\.detection)
    }

    /// The kept candidates in the order they were offered.
    public func detectionsInOfferOrder() -> [Detection] {
        heap.sorted { $0.sequence < $1.sequence }.map(\.detection)
    }

    /// Number of candidates kept.
    public var count: Int { heap.count }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].ranksBelow(heap[parent]) else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = heap.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var worst = i
            if l < n && heap[l].ranksBelow(heap[worst]) { worst = l }
            if r < n && heap[r].ranksBelow(heap[worst]) { worst = r }
            if worst == i { return }
            heap.swapAt(i, worst)
            i = worst
        }
    }
}

/// The naive reference of `CandidateCollector`: filter, stable-sort every candidate by descending score, keep
/// the first `limit`.
public enum TopCandidatesReference {
    public static func select(_ all: [Detection], confidence: Float, limit: Int, classes: Set<Int>? = nil) -> [Detection] {
        let passing = all.enumerated().filter { $0.element.score > confidence && (classes?.contains($0.element.classID) ?? true) }
        let sorted = passing.sorted { $0.element.score > $1.element.score || ($0.element.score == $1.element.score && $0.offset < $1.offset) }
        return sorted.prefix(Swift.max(0, limit)).map(\.element)
    }
}
