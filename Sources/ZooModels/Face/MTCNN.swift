import Foundation
import ZooDetect
import ZooImage
import ZooNN

/// The MTCNN face detector (P-Net → R-Net → O-Net cascade) with five landmarks.
///
/// Port of facenet-pytorch 2.6.0 `MTCNN.detect` / `models/utils/detect_face.py::detect_face`, step by step:
/// 1. Pyramid: scales `12/minFaceSize · factorᵏ` while `min(H, W) · scale ≥ 12`; each level is the image
///    area-resampled (`MTCNNAreaResize`, = `interpolate(mode="area")`) to `(int(H·s+1), int(W·s+1))` and
///    normalised `(v − 127.5) · 0.0078125`.
/// 2. P-Net; cells with `p ≥ thresholds[0]` become boxes `floor((2·(x, y) + 1) / s) … floor((2·(x, y) + 12) / s)`;
///    IoU-NMS 0.5 per scale, then IoU-NMS 0.7 over all scales; box regression with `w = x2 − x1`; squared (`rerec`).
/// 3. R-Net on 24×24 area-resampled crops of `[trunc(y1) − 1, trunc(y2)) × [trunc(x1) − 1, trunc(x2))`
///    (clamped, facenet-pytorch's `pad`); `p > thresholds[1]`; IoU-NMS 0.7; regression with `w = x2 − x1 + 1`; squared.
/// 4. O-Net on 48×48 crops; `p > thresholds[2]`; landmarks `x1 − 1 + (x2 − x1 + 1) · l`; regression;
///    "Min"-NMS 0.7 with +1 pixel areas (facenet-pytorch's numpy NMS).
/// `cascade(_:)` returns exactly that (parity with the reference); `detect(_:)` then keeps faces with
/// `score ≥ minScore` (default 0.9, see `Configuration.minScore`).
public final class MTCNN: FaceDetector, @unchecked Sendable {
    /// Detector settings; the defaults are facenet-pytorch's plus our final score filter.
    public struct Configuration: Sendable {
        /// Smallest face side searched for, in pixels (facenet-pytorch default 20).
        public var minFaceSize: Double = 20
        /// Pyramid scale step (default 0.709 ≈ 1/√2).
        public var factor: Double = 0.709
        /// Cascade thresholds for P-Net, R-Net, O-Net (facenet-pytorch default [0.6, 0.7, 0.7]).
        public var thresholds: [Float] = [0.6, 0.7, 0.7]
        /// Final score a face needs in `detect` (not part of the reference cascade). 0.9 sits in the gap seen on
        /// the shared images: every real face scores ≥ 0.975, while the cascade's two false positives on t1.jpg
        /// (a hand, a glass) score 0.869 and 0.863. `cascade(_:)` ignores it.
        public var minScore: Float = 0.9
        /// Work bound: pyramid levels whose P-Net input would be longer than this on either side are skipped,
        /// so cost and memory stop growing with the image (a 9500 × 9500 input otherwise starts at 5700 × 5700).
        /// Images up to 3413 px (2048 / 0.6) are unaffected; in larger ones the smallest face found grows to
        /// `minFaceSize · longest side · 0.6 / 2048` pixels (e.g. 56 px at 9500 px).
        public var maxPyramidSide = 2048
        /// Work bound: P-Net candidates kept per pyramid level and over all levels before each NMS (the
        /// highest-scoring ones), so NMS cost does not depend on image content.
        public var maxCandidates = 10_000
        public init() {}
    }

    public let name = "mtcnn"
    public var configuration: Configuration
    let pnet: PNet, rnet: RNet, onet: ONet

    /// The three networks from `pnet.pt`, `rnet.pt`, `onet.pt` in `directory` (facenet-pytorch's `data/`).
    public convenience init(directory: URL, configuration: Configuration = .init()) throws {
        func load(_ n: String) throws -> TorchStateDict {
            try TorchPickle.loadStateDict(contentsOf: directory.appendingPathComponent("\(n).pt"))
        }
        try self.init(pnet: PNet(stateDict: load("pnet")), rnet: RNet(stateDict: load("rnet")),
                      onet: ONet(stateDict: load("onet")), configuration: configuration)
    }

    public init(pnet: PNet, rnet: RNet, onet: ONet, configuration: Configuration = .init()) {
        self.pnet = pnet; self.rnet = rnet; self.onet = onet; self.configuration = configuration
    }

    /// Faces with `score ≥ configuration.minScore`, by descending score.
    public func detect(_ image: Image) throws -> [FaceDetection] {
        try cascade(image).filter { $0.score >= configuration.minScore }
    }

    /// The full cascade output, as facenet-pytorch returns it (by descending score, no final filter).
    public func cascade(_ image: Image) throws -> [FaceDetection] {
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return [] }
        let workspace = Workspace()
        let t = configuration.thresholds

        // Stage 1: P-Net over the pyramid.
        var cand = Candidates()
        for scale in pyramid(width: w, height: h) {
            let hs = Int(Double(h) * scale + 1), ws = Int(Double(w) * scale + 1)
            if max(hs, ws) > configuration.maxPyramidSide { continue }
            let x = Tensor(zeros: [1, 3, hs, ws])
            MTCNNAreaResize.resize(image, x0: 0, y0: 0, x1: w, y1: h, outW: ws, outH: hs, normalize: true, into: x.pointer)
            let (reg, prob) = pnet(x, workspace: workspace)
            var level = Candidates()
            let oh = prob.shape[2], ow = prob.shape[3], plane = oh * ow
            let p = prob.pointer + plane, r = reg.pointer, s = Float(scale)
            for yy in 0..<oh {
                for xx in 0..<ow where p[yy * ow + xx] >= t[0] {
                    let i = yy * ow + xx
                    let bx = Float(xx), by = Float(yy)
                    level.append(box: [((2 * bx + 1) / s).rounded(.down), ((2 * by + 1) / s).rounded(.down),
                                       ((2 * bx + 12) / s).rounded(.down), ((2 * by + 12) / s).rounded(.down)],
                                 score: p[i], reg: [r[i], r[plane + i], r[2 * plane + i], r[3 * plane + i]])
                }
            }
            level = level.top(configuration.maxCandidates)
            cand.append(contentsOf: level.picking(level.nms(0.5, .iou, pixelOffset: 0)))
            try Interruption.check()
        }
        cand = cand.top(configuration.maxCandidates)
        cand = cand.picking(cand.nms(0.7, .iou, pixelOffset: 0))
        for i in 0..<cand.count {   // regression with w = x2 - x1 (no +1 at this stage, as the reference)
            let rw = cand.boxes[4 * i + 2] - cand.boxes[4 * i], rh = cand.boxes[4 * i + 3] - cand.boxes[4 * i + 1]
            cand.boxes[4 * i] += cand.regs[4 * i] * rw
            cand.boxes[4 * i + 1] += cand.regs[4 * i + 1] * rh
            cand.boxes[4 * i + 2] += cand.regs[4 * i + 2] * rw
            cand.boxes[4 * i + 3] += cand.regs[4 * i + 3] * rh
        }
        cand.rerec()

        // Stage 2: R-Net on 24×24 crops.
        guard cand.count > 0 else { return [] }
        cand = cand.cropped(from: image)
        guard cand.count > 0 else { return [] }
        let x2 = crops(image, cand, size: 24)
        let (reg2, prob2) = rnet(x2, workspace: workspace)
        var pass = Candidates()
        for i in 0..<cand.count where prob2.pointer[2 * i + 1] > t[1] {
            pass.append(box: Array(cand.boxes[(4 * i)..<(4 * i + 4)]), score: prob2.pointer[2 * i + 1],
                        reg: Array(UnsafeBufferPointer(start: reg2.pointer + 4 * i, count: 4)))
        }
        cand = pass.picking(pass.nms(0.7, .iou, pixelOffset: 0))
        cand.bbreg()
        cand.rerec()

        // Stage 3: O-Net on 48×48 crops, landmarks.
        guard cand.count > 0 else { return [] }
        cand = cand.cropped(from: image)
        guard cand.count > 0 else { return [] }
        let x3 = crops(image, cand, size: 48)
        let (reg3, lm3, prob3) = onet(x3, workspace: workspace)
        pass = Candidates()
        var marks: [[Float]] = []
        for i in 0..<cand.count where prob3.pointer[2 * i + 1] > t[2] {
            let b = Array(cand.boxes[(4 * i)..<(4 * i + 4)])
            let bw = b[2] - b[0] + 1, bh = b[3] - b[1] + 1
            let l = lm3.pointer + 10 * i
            var pts = [Float](repeating: 0, count: 10)
            for k in 0..<5 {
                pts[2 * k] = bw * l[k] + b[0] - 1
                pts[2 * k + 1] = bh * l[5 + k] + b[1] - 1
            }
            marks.append(pts)
            pass.append(box: b, score: prob3.pointer[2 * i + 1], reg: Array(UnsafeBufferPointer(start: reg3.pointer + 4 * i, count: 4)))
        }
        pass.bbreg()
        let keep = pass.nms(0.7, .minArea, pixelOffset: 1)
        return keep.map { i in
            FaceDetection(box: Array(pass.boxes[(4 * i)..<(4 * i + 4)]), score: pass.scores[i], landmarks: marks[i])
        }
    }

    /// Pyramid scales for an image (facenet-pytorch arithmetic, in Double).
    func pyramid(width: Int, height: Int) -> [Double] {
        let m = 12.0 / configuration.minFaceSize
        var minl = Double(min(width, height)) * m
        var scale = m
        var scales: [Double] = []
        while minl >= 12 {
            scales.append(scale)
            scale *= configuration.factor
            minl *= configuration.factor
        }
        return scales
    }

    /// `N, 3, size, size` normalised crops of the candidates' integer regions.
    private func crops(_ image: Image, _ c: Candidates, size: Int) -> Tensor {
        let x = Tensor(zeros: [c.count, 3, size, size])
        let per = 3 * size * size
        Threads.parallelFor(c.count, minPerChunk: 8) { start, end in
            for i in start..<end {
                let r = c.regions[i]
                MTCNNAreaResize.resize(image, x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1, outW: size, outH: size,
                                       normalize: true, into: x.pointer + i * per)
            }
        }
        return x
    }
}

/// Candidate boxes between cascade stages: corners, scores, regression offsets and (after `cropped`) the integer
/// image regions the next network sees.
struct Candidates {
    var boxes: [Float] = []
    var scores: [Float] = []
    var regs: [Float] = []
    var regions: [(x0: Int, y0: Int, x1: Int, y1: Int)] = []
    var count: Int { scores.count }

    mutating func append(box: [Float], score: Float, reg: [Float]) {
        boxes += box; scores.append(score); regs += reg
    }

    mutating func append(contentsOf other: Candidates) {
        boxes += other.boxes; scores += other.scores; regs += other.regs
    }

    /// Kept indices of greedy NMS (descending score), via the shared `NMS`.
    func nms(_ threshold: Float, _ overlap: NMS.Overlap, pixelOffset: Float) -> [Int] {
        boxes.withUnsafeBufferPointer { b in
            scores.withUnsafeBufferPointer { s in
                NMS.indices(boxes: b.baseAddress!, scores: s.baseAddress!, count: count, threshold: threshold,
                            overlap: overlap, pixelOffset: pixelOffset)
            }
        }
    }

    /// The `k` highest-scoring candidates in their original order (all of them when there are at most `k`).
    func top(_ k: Int) -> Candidates {
        guard count > k else { return self }
        let keep = (0..<count).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k).sorted()
        return picking(Array(keep))
    }

    func picking(_ idx: [Int]) -> Candidates {
        var out = Candidates()
        for i in idx {
            out.boxes += boxes[(4 * i)..<(4 * i + 4)]
            out.scores.append(scores[i])
            out.regs += regs[(4 * i)..<(4 * i + 4)]
            if !regions.isEmpty { out.regions.append(regions[i]) }
        }
        return out
    }

    /// Makes boxes square around their centres with side max(w, h) (facenet-pytorch `rerec`, Float32 order kept).
    mutating func rerec() {
        for i in 0..<count {
            let h = boxes[4 * i + 3] - boxes[4 * i + 1], w = boxes[4 * i + 2] - boxes[4 * i]
            let l = max(w, h)
            boxes[4 * i] = boxes[4 * i] + w * 0.5 - l * 0.5
            boxes[4 * i + 1] = boxes[4 * i + 1] + h * 0.5 - l * 0.5
            boxes[4 * i + 2] = boxes[4 * i] + l
            boxes[4 * i + 3] = boxes[4 * i + 1] + l
        }
    }

    /// Box regression with +1 widths (facenet-pytorch `bbreg`).
    mutating func bbreg() {
        for i in 0..<count {
            let w = boxes[4 * i + 2] - boxes[4 * i] + 1, h = boxes[4 * i + 3] - boxes[4 * i + 1] + 1
            boxes[4 * i] += regs[4 * i] * w
            boxes[4 * i + 1] += regs[4 * i + 1] * h
            boxes[4 * i + 2] += regs[4 * i + 2] * w
            boxes[4 * i + 3] += regs[4 * i + 3] * h
        }
    }

    /// Attaches the crop region of each box (facenet-pytorch `pad`: truncate, clamp x, y ≥ 1 and x2 ≤ W,
    /// y2 ≤ H, crop `[y − 1, y2) × [x − 1, x2)`). Boxes whose region is empty are dropped (the reference would
    /// misalign its arrays there).
    func cropped(from image: Image) -> Candidates {
        var out = Candidates()
        func trunc(_ v: Float) -> Int { v.isFinite ? Int(max(-1e9, min(1e9, v))) : Int.min / 2 }
        for i in 0..<count {
            let x = max(trunc(boxes[4 * i]), 1), y = max(trunc(boxes[4 * i + 1]), 1)
            let ex = min(trunc(boxes[4 * i + 2]), image.width), ey = min(trunc(boxes[4 * i + 3]), image.height)
            guard ey > y - 1, ex > x - 1, x - 1 < image.width, y - 1 < image.height else { continue }
            out.boxes += boxes[(4 * i)..<(4 * i + 4)]
            out.scores.append(scores[i])
            out.regs += regs[(4 * i)..<(4 * i + 4)]
            out.regions.append((x - 1, y - 1, ex, ey))
        }
        return out
    }
}
