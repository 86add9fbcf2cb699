import Foundation
import ZooImage
import ZooModels

/// `vz faces` as a pipeline: image bytes → decode → detect → JSON report (+ aligned crops, annotated image).
public struct FaceFinder {
    public let detector: any FaceDetector

    public init(detector: any FaceDetector) { self.detector = detector }

    /// One face in the report (JSON field names are the CLI contract).
    public struct Face: Codable, Sendable, Equatable {
        public var box: [Float]
        public var score: Float
        /// Five [x, y] points: left eye, right eye, nose, left and right mouth corner (left = image left).
        public var landmarks: [[Float]]
        /// With `--embed`: the face's L2-normalised embedding (the aligned chip through the recognizer).
        public var embedding: [Float]?
    }

    /// The `vz faces` JSON object.
    public struct Report: Codable, Sendable {
        public var image: String
        public var width: Int
        public var height: Int
        public var faces: [Face]
        /// With `--embed`: the recognizer that produced the embeddings.
        public var recognizer: String?
        public var recognizer_version: String?
    }

    /// Decodes `data` and detects faces; faces are sorted by descending score.
    public func find(data: Data, name: String) throws -> (report: Report, image: Image, detections: [FaceDetection]) {
        let image: Image
        do { image = try ImageDecoder.decode(data, name: name) } catch {
            throw FaceVerifierError.unreadable(image: name, reason: "\(error)")
        }
        let dets = try detector.detect(image)
        let faces = dets.map { d in
            Face(box: d.box.map(JSONPrecision.pixels), score: JSONPrecision.score(d.score),
                 landmarks: stride(from: 0, to: 10, by: 2).map { [JSONPrecision.pixels(d.landmarks[$0]), JSONPrecision.pixels(d.landmarks[$0 + 1])] })
        }
        return (Report(image: name, width: image.width, height: image.height, faces: faces), image, dets)
    }

    /// Adds each face's L2-normalised embedding by `embedder` (aligned onto its template, as `vz verify` does) and
    /// the recognizer's name and version to `report`; `dets` are the report's detections in the same order. A face
    /// whose landmarks give no alignment keeps no embedding.
    public static func embed(_ report: inout Report, image: Image, detections dets: [FaceDetection],
                             embedder: any FaceEmbedder, recognizer: RecognizerID) throws {
        precondition(dets.count == report.faces.count, "one detection per face")
        let (w, h) = embedder.inputSize
        for (i, d) in dets.enumerated() {
            guard let chip = FaceAligner.align(image, landmarks: d.landmarks, template: embedder.template, width: w, height: h) else { continue }
            report.faces[i].embedding = FaceVerifier.normalized(try embedder.embed(chip))
        }
        report.recognizer = recognizer.name
        report.recognizer_version = recognizer.version
    }

    /// Aligned crops of every detection (same order), `width × height` onto `template`.
    public static func crops(_ image: Image, _ dets: [FaceDetection], template: [Float], width: Int, height: Int) -> [Image] {
        dets.compactMap { FaceAligner.align(image, landmarks: $0.landmarks, template: template, width: width, height: height) }
    }

    /// A copy of `image` with each face's box (green) and landmarks (red dots) drawn.
    public static func annotated(_ image: Image, _ dets: [FaceDetection]) -> Image {
        var out = image
        let t = max(1, min(image.width, image.height) / 300 + 1)
        func dot(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            if x >= 0 && y >= 0 && x < out.width && y < out.height { out[x, y] = c }
        }
        for d in dets {
            let x1 = Int(d.box[0].rounded()), y1 = Int(d.box[1].rounded()), x2 = Int(d.box[2].rounded()), y2 = Int(d.box[3].rounded())
            for k in 0..<t {
                for x in x1...max(x1, x2) { dot(x, y1 + k, (0, 255, 0)); dot(x, y2 - k, (0, 255, 0)) }
                for y in y1...max(y1, y2) { dot(x1 + k, y, (0, 255, 0)); dot(x2 - k, y, (0, 255, 0)) }
            }
            for p in 0..<5 {
                let cx = Int(d.landmarks[2 * p].rounded()), cy = Int(d.landmarks[2 * p + 1].rounded())
                for dy in -t...t { for dx in -t...t { dot(cx + dx, cy + dy, (255, 0, 0)) } }
            }
        }
        return out
    }

}
