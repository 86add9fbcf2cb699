/// Non-maximum suppression: the one implementation every detector in VisionZoo uses.
///
/// Greedy, as torchvision's `nms`/`batched_nms`: candidates are visited by descending score (ties keep input
/// order); a candidate is suppressed when its overlap with an already kept box of the same group is
/// *greater than* `threshold`.
public enum NMS {
    /// How the overlap of two boxes is measured.
    public enum Overlap: Sendable {
        /// Intersection over union.
        case iou
        /// Intersection over the smaller area (MTCNN's "Min" mode).
        case minArea
    }

    /// Suppresses overlapping detections.
    /// - Parameters:
    ///   - classAware: when true, boxes of different `classID` never suppress each other (`batched_nms`).
    ///   - pixelOffset: added to widths and heights when computing areas and intersections: 0 for
    ///     continuous coordinates (torchvision), 1 for the legacy integer-pixel convention (MTCNN's numpy NMS).
    ///   - maxDetections: keep at most this many, highest scores first.
    /// - Returns: the kept detections, sorted by descending score.
    public static func suppress(_ detections: [Detection], threshold: Float, overlap: Overlap = .iou,
                                classAware: Bool = true, pixelOffset: Float = 0,
                                maxDetections: Int = .max) -> [Detection] {
        let n = detections.count
        if n == 0 { return [] }
        var boxes = [Float](repeating: 0, count: n * 4)
        var scores = [Float](repeating: 0, count: n)
        var classes = [Int32](repeating: 0, count: n)
        for (i, d) in detections.enumerated() {
            boxes[4 * i] = d.box.x1; boxes[4 * i + 1] = d.box.y1; boxes[4 * i + 2] = d.box.x2; boxes[4 * i + 3] = d.box.y2
            scores[i] = d.score
            classes[i] = Int32(truncatingIfNeeded: d.classID)
        }
        let keep = boxes.withUnsafeBufferPointer { b in
            scores.withUnsafeBufferPointer { s in
                classes.withUnsafeBufferPointer { c in
                    indices(boxes: b.baseAddress!, scores: s.baseAddress!, count: n, threshold: threshold,
                            overlap: overlap, classes: classAware ? c.baseAddress! : nil,
                            pixelOffset: pixelOffset, maxDetections: maxDetections)
                }
            }
        }
        return keep.map { detections[$0] }
    }

    /// Index form over raw arrays, for hot paths.
    /// - Parameters:
    ///   - boxes: `count × 4` floats, `[x1, y1, x2, y2]` per box.
    ///   - scores: `count` floats.
    ///   - classes: optional `count` class ids; when given, only boxes of equal class suppress each other.
    /// - Returns: indices of kept boxes by descending score (ties in index order).
    public static func indices(boxes: UnsafePointer<Float>, scores: UnsafePointer<Float>, count: Int,
                               threshold: Float, overlap: Overlap = .iou, classes: UnsafePointer<Int32>? = nil,
                               pixelOffset: Float = 0, maxDetections: Int = .max) -> [Int] {
        guard count > 0, maxDetections > 0 else { return [] }
        // Stable descending sort by score.
        var order = Array(0..<count)
        order.sort { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var areas = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let w = boxes[4 * i + 2] - boxes[4 * i] + pixelOffset
            let h = boxes[4 * i + 3] - boxes[4 * i + 1] + pixelOffset
            areas[i] = Swift.max(0, w) * Swift.max(0, h)
        }
        var suppressed = [Bool](repeating: false, count: count)
        var keep: [Int] = []
        keep.reserveCapacity(Swift.min(count, maxDetections == .max ? count : maxDetections))
        for a in 0..<count {
            let i = order[a]
            if suppressed[i] { continue }
            keep.append(i)
            if keep.count >= maxDetections { break }
            let ix1 = boxes[4 * i], iy1 = boxes[4 * i + 1], ix2 = boxes[4 * i + 2], iy2 = boxes[4 * i + 3]
            let ci = classes?[i]
            for b in (a + 1)..<count {
                let j = order[b]
                if suppressed[j] { continue }
                if let ci, classes![j] != ci { continue }
                let w = Swift.min(ix2, boxes[4 * j + 2]) - Swift.max(ix1, boxes[4 * j]) + pixelOffset
                let h = Swift.min(iy2, boxes[4 * j + 3]) - Swift.max(iy1, boxes[4 * j + 1]) + pixelOffset
                if w <= 0 || h <= 0 { continue }
                let inter = w * h
                let denom: Float
                switch overlap {
                case .iou: denom = areas[i] + areas[j] - inter
                case .minArea: denom = Swift.min(areas[i], areas[j])
                }
                if denom > 0 && inter / denom > threshold { suppressed[j] = true }
            }
        }
        return keep
    }
}
