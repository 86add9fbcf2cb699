import CBLAS
import Foundation

/// A face gallery: people with embeddings in a `GalleryStore`, searched by exact cosine similarity.
///
/// Search is one matrix–vector product over every stored embedding (`cblas_sgemv`, row-major `rows × dimension`
/// matrix of L2-normalised embeddings times the normalised query), then the best score per person. The matrix is
/// kept in memory and reloaded from the store when its `revision()` moved (a write by this or another process),
/// checked before each search. Thread-safe: searches run concurrently on the current snapshot.
public final class Gallery: @unchecked Sendable {
    public let store: any GalleryStore
    private let lock = NSLock()
    private var cached: GallerySnapshot?

    public init(store: any GalleryStore) { self.store = store }

    /// Opens a gallery by location: `postgres://…` / `postgresql://…` (`PostgresGalleryStore`, shared by
    /// replicas), else a file path (`SQLiteGalleryStore`).
    public static func open(_ location: String) throws -> Gallery {
        if PostgresGalleryStore.accepts(location) { return Gallery(store: try PostgresGalleryStore(url: location)) }
        return Gallery(store: try SQLiteGalleryStore(path: location))
    }

    /// The default location: `VZ_GALLERY` if set, else `gallery/faces.sqlite` beside the weights folder's install
    /// root (`<checkout>/weights/gallery/faces.sqlite` for a source build, git-ignored with the weights).
    public static func defaultLocation(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let g = environment["VZ_GALLERY"], !g.isEmpty { return g }
        return WeightsStore.standard(environment: environment).installRoot
            .appendingPathComponent("gallery").appendingPathComponent("faces.sqlite").path
    }

    /// Registers `faces` for `person` (embeddings normalised here) in one transaction.
    @discardableResult
    public func add(person: String, faces: [GalleryFace], recognizer: RecognizerID) throws -> GalleryPerson {
        let normalized = faces.map { GalleryFace(embedding: FaceVerifier.normalized($0.embedding), sourceImage: $0.sourceImage, box: $0.box) }
        let p = try store.add(person: person, faces: normalized, recognizer: recognizer)
        invalidate()
        return p
    }

    /// Removes `person`; false when absent.
    @discardableResult
    public func remove(person: String) throws -> Bool {
        let gone = try store.remove(person: person)
        invalidate()
        return gone
    }

    public func people() throws -> [GalleryPerson] { try store.people() }

    private func invalidate() { lock.withLock { cached = nil } }

    /// The in-memory snapshot, reloaded when the store's revision moved.
    public func snapshot() throws -> GallerySnapshot {
        let current = lock.withLock { cached }
        let rev = try store.revision()
        if let current, current.revision == rev { return current }
        let fresh = try store.snapshot()
        lock.withLock { if cached == nil || cached!.revision <= fresh.revision { cached = fresh } }
        return fresh
    }

    /// The best and second-best person for one embedding.
    public struct Match: Sendable, Equatable {
        public var person: String
        public var similarity: Float
    }

    /// Best match and runner-up (another person) for `embedding` of `recognizer`; nil entries when the gallery has
    /// fewer people. Refuses a query of another recognizer or version than the gallery's.
    public func search(_ embedding: [Float], recognizer: RecognizerID) throws -> (best: Match?, runnerUp: Match?, snapshot: GallerySnapshot) {
        let s = try snapshot()
        if let r = s.recognizer, r != recognizer {
            throw GalleryError.recognizerMismatch(stored: r, given: recognizer, location: store.location)
        }
        guard s.rows > 0 else { return (nil, nil, s) }
        guard embedding.count == s.dimension else { throw GalleryError.dimensionMismatch(stored: s.dimension, given: embedding.count) }
        let (best, second) = Self.top2(s, query: FaceVerifier.normalized(embedding))
        return (best, second, s)
    }

    /// `scores = M · q` (one `cblas_sgemv`), then the best score per person; returns the two best people.
    public static func top2(_ s: GallerySnapshot, query q: [Float]) -> (Match?, Match?) {
        var scores = [Float](repeating: 0, count: s.rows)
        s.matrix.withUnsafeBufferPointer { m in
            q.withUnsafeBufferPointer { x in
                scores.withUnsafeMutableBufferPointer { y in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(s.rows), Int32(s.dimension), 1, m.baseAddress, Int32(s.dimension),
                                x.baseAddress, 1, 0, y.baseAddress, 1)
                }
            }
        }
        var perPerson = [Float](repeating: -.infinity, count: s.people.count)
        scores.withUnsafeBufferPointer { sc in
            s.owner.withUnsafeBufferPointer { o in
                for r in 0..<sc.count where sc[r] > perPerson[Int(o[r])] { perPerson[Int(o[r])] = sc[r] }
            }
        }
        var b = -1, c = -1
        for p in 0..<perPerson.count where perPerson[p] > -.infinity {
            if b < 0 || perPerson[p] > perPerson[b] { c = b; b = p } else if c < 0 || perPerson[p] > perPerson[c] { c = p }
        }
        return (b >= 0 ? Match(person: s.people[b], similarity: perPerson[b]) : nil,
                c >= 0 ? Match(person: s.people[c], similarity: perPerson[c]) : nil)
    }
}
