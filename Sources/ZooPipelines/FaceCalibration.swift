import Foundation

/// Threshold calibration over all pairs of an identity-labelled set of embeddings (`vz verify --calibrate DIR`).
///
/// Every unordered pair of images is scored by cosine; pairs of the same identity are genuine, the rest impostors.
/// For a target false-accept rate `far`, the threshold is the impostor score of rank `⌊far · impostors⌋` in
/// descending order (0-based), so at most that many impostors lie strictly above it; `same = similarity >
/// threshold`, and TAR is the fraction of genuine pairs strictly above it. (Same rule as the Python reference
/// used for the LFW dev calibration.)
public struct FaceCalibration: Sendable {
    /// One operating point.
    public struct Point: Codable, Sendable, Equatable {
        public var far: Double
        public var threshold: Float
        public var tar: Double
        /// Impostor pairs strictly above the threshold / all impostor pairs.
        public var far_measured: Double
    }

    public let genuine: [Float]
    /// Impostor scores, descending.
    public let impostors: [Float]

    /// Scores all pairs of `embeddings` (L2-normalised, equal length) labelled by `identities`.
    public init(embeddings: [[Float]], identities: [String]) {
        precondition(embeddings.count == identities.count, "one identity per embedding")
        var genuine: [Float] = [], impostors: [Float] = []
        let n = embeddings.count
        impostors.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n {
            embeddings[i].withUnsafeBufferPointer { a in
                for j in (i + 1)..<max(i + 1, n) {
                    let s = embeddings[j].withUnsafeBufferPointer { b -> Float in
                        var d: Float = 0
                        for k in 0..<a.count { d += a[k] * b[k] }
                        return d
                    }
                    if identities[i] == identities[j] { genuine.append(s) } else { impostors.append(s) }
                }
            }
        }
        self.genuine = genuine
        self.impostors = impostors.sorted(by: >)
    }

    /// The operating point for a target FAR (nil without impostor pairs).
    public func point(far: Double) -> Point? {
        guard !impostors.isEmpty else { return nil }
        let k = min(impostors.count - 1, Int(far * Double(impostors.count)))
        let t = impostors[k]
        let tar = genuine.isEmpty ? 0 : Double(genuine.filter { $0 > t }.count) / Double(genuine.count)
        let above = impostors.prefix { $0 > t }.count
        return Point(far: far, threshold: t, tar: tar, far_measured: Double(above) / Double(impostors.count))
    }

    /// Image files of an identity-per-folder tree (`DIR/<identity>/<image>`), sorted, as (identity, URL).
    public static func listImages(_ root: URL) throws -> [(identity: String, url: URL)] {
        let fm = FileManager.default
        let exts: Set<String> = ["jpg", "jpeg", "png", "bmp", "ppm", "pgm"]
        let dirs: [String]
        do { dirs = try fm.contentsOfDirectory(atPath: root.path).sorted() } catch {
            throw FacePairsError(message: "\(root.path): cannot list the folder (\(error.localizedDescription))")
        }
        var out: [(String, URL)] = []
        for d in dirs {
            let dir = root.appendingPathComponent(d)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else { continue }
            for f in (try fm.contentsOfDirectory(atPath: dir.path)).sorted() where exts.contains((f as NSString).pathExtension.lowercased()) {
                out.append((d, dir.appendingPathComponent(f)))
            }
        }
        guard !out.isEmpty else { throw FacePairsError(message: "\(root.path): no images in <identity>/ subfolders") }
        return out
    }
}
