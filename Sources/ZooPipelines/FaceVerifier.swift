import Foundation
import ZooTensor
import ZooImage
import ZooModels

/// Face verification: image bytes → decode → detect → pick a face → align → embed → cosine → decision.
///
/// The one code path behind `vz verify` and the HTTP service. Policies (documented in the CLI help too):
/// - Several faces: the largest box is used (`faceIndex` picks the N-th largest instead) and the result says how
///   many faces were found.
/// - No upright face: the image is tried turned by 90°, 270° and 180° (quarter turns 1, 3, 2) and the orientation
///   whose best face scores highest is used; the face record says `rotation` (quarter turns counter-clockwise)
///   and its box/landmarks are in the turned image's pixels. Only when all four fail is it a `noFace` error.
/// - `aligned`: inputs are already aligned crops (ArcFace 112×112 layout, e.g. ../shared/data/lfw-112); detection is
///   skipped. A crop whose size differs from the embedder's chip is mapped by the similarity between the ArcFace
///   template scaled to the crop and the embedder's template (for dlib's 150×150 chip this leaves the bottom rows,
///   below the crop, black).
public final class FaceVerifier: @unchecked Sendable {
    public let detector: (any FaceDetector)?
    public let embedder: any FaceEmbedder
    public let threshold: FaceThreshold
    public var faceIndex: Int?
    public var aligned: Bool
    public var tryRotations: Bool = true

    /// `detector` may be nil only when `aligned` is true.
    public init(detector: (any FaceDetector)?, embedder: any FaceEmbedder, threshold: FaceThreshold,
                aligned: Bool = false, faceIndex: Int? = nil) {
        precondition(detector != nil || aligned, "a detector is needed unless inputs are aligned")
        self.detector = detector; self.embedder = embedder; self.threshold = threshold
        self.aligned = aligned; self.faceIndex = faceIndex
    }

    /// One analysed image: the face used, its embedding and the stage timings in seconds (wall; `cpu_<stage>` keys
    /// hold process CPU seconds).
    public struct Analysis {
        public var face: VerifiedFace
        public var embedding: [Float]
        public var chip: Image
        public var timings: [String: Double]
    }

    /// Decodes, detects, aligns and embeds one image.
    public func analyze(data: Data, name: String) throws -> Analysis {
        var timings: [String: Double] = [:]
        var clock = Stopwatch()
        let image: Image
        do { image = try ImageDecoder.decode(data, name: name) } catch {
            throw FaceVerifierError.unreadable(image: name, reason: "\(error)")
        }
        timings["decode"] = clock.lap(); timings["cpu_decode"] = clock.lastCPULap
        return try analyze(image: image, name: name, timings: timings, clock: &clock)
    }

    /// Detects, aligns and embeds an already decoded image.
    public func analyze(image: Image, name: String) throws -> Analysis {
        var clock = Stopwatch()
        return try analyze(image: image, name: name, timings: ["decode": 0, "cpu_decode": 0], clock: &clock)
    }

    private func analyze(image: Image, name: String, timings t: [String: Double], clock: inout Stopwatch) throws -> Analysis {
        var timings = t
        let (cw, ch) = embedder.inputSize
        if aligned || detector == nil {
            let chip: Image
            if image.width == cw && image.height == ch && embedder.template == FaceAligner.arcface112 {
                chip = image
            } else {
                // The crop is in ArcFace layout scaled to its size: map that template onto the embedder's.
                let sx = Float(image.width) / 112, sy = Float(image.height) / 112
                let src = FaceAligner.arcface112.enumerated().map { $0.offset % 2 == 0 ? $0.element * sx : $0.element * sy }
                guard let c = FaceAligner.align(image, landmarks: src, template: embedder.template, width: cw, height: ch) else {
                    throw FaceVerifierError.unreadable(image: name, reason: "cannot map the aligned crop onto the \(embedder.name) chip")
                }
                chip = c
            }
            timings["align"] = clock.lap(); timings["cpu_align"] = clock.lastCPULap
            let e = try embedder.embed(chip)
            timings["embed"] = clock.lap(); timings["cpu_embed"] = clock.lastCPULap
            let face = VerifiedFace(image: name, n_faces: 1, box: [0, 0, Float(image.width), Float(image.height)], score: 1,
                                    landmarks: [], rotation: 0)
            return Analysis(face: face, embedding: e, chip: chip, timings: timings)
        }
        let (used, rotation, faces) = try detectFaces(image)
        timings["detect"] = clock.lap(); timings["cpu_detect"] = clock.lastCPULap
        guard !faces.isEmpty else { throw FaceVerifierError.noFace(image: name) }
        let index = faceIndex ?? 0
        guard index >= 0 && index < faces.count else {
            throw FaceVerifierError.faceIndexOutOfRange(image: name, index: index, count: faces.count)
        }
        guard let a = try embedFace(faces[index], in: used, rotation: rotation, count: faces.count, name: name,
                                    timings: timings, clock: &clock) else {
            throw FaceVerifierError.noFace(image: name)
        }
        return a
    }

    /// Decodes, detects, aligns and embeds every face of one image, largest first (the same detection, rotation
    /// fallback and alignment as `analyze`); an image without a face gives an empty list. Timings of the shared
    /// stages (decode, detect) are in the first analysis only.
    public func analyzeAll(data: Data, name: String) throws -> [Analysis] {
        var clock = Stopwatch()
        let image: Image
        do { image = try ImageDecoder.decode(data, name: name) } catch {
            throw FaceVerifierError.unreadable(image: name, reason: "\(error)")
        }
        var timings = ["decode": clock.lap(), "cpu_decode": clock.lastCPULap]
        if aligned || detector == nil { return [try analyze(image: image, name: name, timings: timings, clock: &clock)] }
        let (used, rotation, faces) = try detectFaces(image)
        timings["detect"] = clock.lap(); timings["cpu_detect"] = clock.lastCPULap
        var out: [Analysis] = []
        for f in faces {
            if let a = try embedFace(f, in: used, rotation: rotation, count: faces.count, name: name, timings: timings, clock: &clock) {
                out.append(a)
            }
            timings = [:]
        }
        return out
    }

    /// Faces of `image` by descending box area; when there is none upright (and `tryRotations`), those of the
    /// quarter turn whose best face scores highest, with that turned image and its turn count.
    private func detectFaces(_ image: Image) throws -> (used: Image, rotation: Int, faces: [FaceDetection]) {
        let detector = detector!
        var used = image, rotation = 0
        var faces = try detector.detect(image)
        if faces.isEmpty && tryRotations {
            var best: (turns: Int, image: Image, faces: [FaceDetection])?
            for turns in [1, 3, 2] {
                try Interruption.check()   // each rotation is a whole detection pass
                let turned = image.rotated(quarterTurns: turns)
                let f = try detector.detect(turned)
                if let top = f.map(\.score).max(), top > (best?.faces.map(\.score).max() ?? -1) { best = (turns, turned, f) }
            }
            if let best { used = best.image; rotation = best.turns; faces = best.faces }
        }
        return (used, rotation, faces.sorted { $0.area > $1.area })
    }

    /// Aligns and embeds one detected face (nil when its landmarks give no alignment).
    private func embedFace(_ face: FaceDetection, in used: Image, rotation: Int, count: Int, name: String,
                           timings t: [String: Double], clock: inout Stopwatch) throws -> Analysis? {
        var timings = t
        let (cw, ch) = embedder.inputSize
        guard let chip = FaceAligner.align(used, landmarks: face.landmarks, template: embedder.template, width: cw, height: ch) else {
            return nil
        }
        timings["align"] = clock.lap(); timings["cpu_align"] = clock.lastCPULap
        try Interruption.check()
        let e = try embedder.embed(chip)
        timings["embed"] = clock.lap(); timings["cpu_embed"] = clock.lastCPULap
        let record = VerifiedFace(image: name, n_faces: count, box: face.box.map(JSONPrecision.pixels),
                                  score: JSONPrecision.score(face.score),
                                  landmarks: stride(from: 0, to: 10, by: 2).map {
                                      [JSONPrecision.pixels(face.landmarks[$0]), JSONPrecision.pixels(face.landmarks[$0 + 1])]
                                  },
                                  rotation: rotation)
        return Analysis(face: record, embedding: e, chip: chip, timings: timings)
    }

    /// Compares two images.
    public func verify(_ a: (data: Data, name: String), _ b: (data: Data, name: String)) throws -> FaceVerification {
        let x = try analyze(data: a.data, name: a.name)
        try Interruption.check()
        let y = try analyze(data: b.data, name: b.name)
        return decide(x, y)
    }

    /// The decision for two analysed images.
    public func decide(_ x: Analysis, _ y: Analysis) -> FaceVerification {
        let sim = FaceVerifier.cosine(x.embedding, y.embedding)
        var timings: [String: Double] = [:], cpu: [String: Double] = [:]
        for (k, v) in [x.timings, y.timings].joined() {
            if k.hasPrefix("cpu_") { cpu[String(k.dropFirst(4)), default: 0] += v } else { timings[k, default: 0] += v }
        }
        timings["total"] = timings.values.reduce(0, +)
        cpu["total"] = cpu.values.reduce(0, +)
        var notes: [String] = []
        for f in [x.face, y.face] where f.n_faces > 1 {
            notes.append("\(f.image): \(f.n_faces) faces found, used the \(faceIndex.map { "#\($0) by size" } ?? "largest")")
        }
        for f in [x.face, y.face] where f.rotation != 0 {
            notes.append("\(f.image): no upright face; used the image turned \(f.rotation * 90)° counter-clockwise")
        }
        return FaceVerification(same: sim > threshold.value, similarity: JSONPrecision.similarity(sim), threshold: threshold.value,
                                threshold_source: threshold.source, detector: aligned ? "none (aligned input)" : detector!.name,
                                recognizer: embedder.name, faces: [x.face, y.face],
                                timings_ms: timings.mapValues { JSONPrecision.milliseconds($0 * 1000) },
                                cpu_ms: cpu.mapValues { JSONPrecision.milliseconds($0 * 1000) }, notes: notes.isEmpty ? nil : notes)
    }

    /// `v / ‖v‖₂` (a zero vector stays zero): the form embeddings are stored and compared in.
    public static func normalized(_ v: [Float]) -> [Float] {
        var n: Double = 0
        for x in v { n += Double(x) * Double(x) }
        guard n > 0 else { return v }
        let inv = Float(1 / n.squareRoot())
        return v.map { $0 * inv }
    }

    /// Cosine similarity (embeddings need not be normalised).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "embeddings of different lengths")
        var d: Double = 0, na: Double = 0, nb: Double = 0
        for i in 0..<a.count { d += Double(a[i]) * Double(b[i]); na += Double(a[i]) * Double(a[i]); nb += Double(b[i]) * Double(b[i]) }
        return na > 0 && nb > 0 ? Float(d / (na * nb).squareRoot()) : 0
    }
}

/// The face used from one image (JSON field names are the CLI contract).
public struct VerifiedFace: Codable, Sendable, Equatable {
    public var image: String
    public var n_faces: Int
    public var box: [Float]
    public var score: Float
    /// Five [x, y] points (empty for aligned input).
    public var landmarks: [[Float]]
    /// Quarter turns counter-clockwise applied before detection (0 = upright).
    public var rotation: Int
}

/// The `vz verify` result object.
public struct FaceVerification: Codable, Sendable {
    public var same: Bool
    public var similarity: Float
    public var threshold: Float
    public var threshold_source: String
    public var detector: String
    public var recognizer: String
    public var faces: [VerifiedFace]
    /// Wall-clock milliseconds per stage (both images): decode, detect, align, embed, total.
    public var timings_ms: [String: Double]
    /// Process CPU milliseconds per stage (all threads), robust to a busy machine.
    public var cpu_ms: [String: Double]
    public var notes: [String]?

    /// The object `vz verify` prints and `POST /v1/faces/verify` returns: one JSON line, keys sorted.
    /// (The one serializer of this contract; throws only on a non-finite number.)
    public func jsonLine() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: try enc.encode(self), as: UTF8.self)
    }
}

/// A decision threshold on cosine similarity and where it came from.
public struct FaceThreshold: Sendable, Equatable {
    public var value: Float
    /// e.g. `calibrated on LFW dev pairs (600) at FAR 0.0 %, TAR 98.7 %` or `user`.
    public var source: String
    public init(value: Float, source: String) { self.value = value; self.source = source }
    public static func user(_ v: Float) -> FaceThreshold { FaceThreshold(value: v, source: "user") }
}

/// Why verification could not run (the CLI exits with code 2 on these).
public enum FaceVerifierError: Error, CustomStringConvertible, LocalizedError {
    case unreadable(image: String, reason: String)
    case noFace(image: String)
    case faceIndexOutOfRange(image: String, index: Int, count: Int)

    public var description: String {
        switch self {
        case .unreadable(let i, let r): return "\(i): unreadable image (\(r))"
        case .noFace(let i): return "\(i): no face found (tried the four orientations)"
        case .faceIndexOutOfRange(let i, let n, let c): return "\(i): --face-index \(n) but only \(c) face(s) found"
        }
    }
    public var errorDescription: String? { description }
}

/// Wall-clock and process CPU-time laps in seconds (CPU time counts every thread of the process).
struct Stopwatch {
    private var last = DispatchTime.now().uptimeNanoseconds
    private var lastCPU = Stopwatch.cpuNow()
    /// CPU seconds of the last lap.
    private(set) var lastCPULap: Double = 0

    static func cpuNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Wall seconds since the previous lap (CPU seconds in `lastCPULap`).
    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds, cpu = Stopwatch.cpuNow()
        defer { last = now; lastCPU = cpu }
        lastCPULap = cpu - lastCPU
        return Double(now - last) / 1e9
    }
}
