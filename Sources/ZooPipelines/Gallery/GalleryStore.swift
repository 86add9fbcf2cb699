import Foundation

/// Where a face gallery keeps its people and embeddings: one protocol, one implementation per database
/// (`SQLiteGalleryStore`, the default; `PostgresGalleryStore` for `postgres://…`), both passing the same
/// `GalleryStoreTests`.
///
/// Contract, for every implementation:
/// - `add` writes the person (created if new) and all its faces in **one transaction**: after a crash either all
///   of them are stored or none; once it returns, the faces survive a `kill -9` of the process.
/// - Every embedding is stored with the `RecognizerID` that produced it; `add` refuses (writing nothing) faces of
///   a recognizer or version other than the one already stored, or of another dimension.
/// - Every write bumps `revision()` (a monotonic counter shared by all processes using the store), so a reader
///   holding a `GallerySnapshot` knows when to reload it.
/// - Safe to call from many threads (and processes) at once.
public protocol GalleryStore: AnyObject, Sendable {
    /// Where the store lives (a file path, or a URL without its credentials), for messages.
    var location: String { get }
    /// Adds `faces` to `person` (created if new) in one transaction and returns the person as stored.
    func add(person: String, faces: [GalleryFace], recognizer: RecognizerID) throws -> GalleryPerson
    /// Removes `person` and all its faces; false when there is no such person.
    func remove(person: String) throws -> Bool
    /// Every person, sorted by name.
    func people() throws -> [GalleryPerson]
    /// The change counter (bumped by every `add` and `remove`).
    func revision() throws -> Int64
    /// Every embedding with its owner, read in one transaction.
    func snapshot() throws -> GallerySnapshot
}

/// The in-process fault hook of the stores (tests): `add` throws inside its transaction after this many faces.
protocol GalleryFaultInjection: AnyObject {
    var failAfterFaces: Int? { get set }
}

/// One face to register: its embedding and where it came from.
public struct GalleryFace: Sendable, Equatable {
    /// L2-normalised embedding (`Gallery.add` normalises).
    public var embedding: [Float]
    /// The source image's name as given (a path, an upload's file name).
    public var sourceImage: String
    /// Face box x1, y1, x2, y2 in the source image's pixels (empty for aligned crops).
    public var box: [Float]

    public init(embedding: [Float], sourceImage: String, box: [Float]) {
        self.embedding = embedding; self.sourceImage = sourceImage; self.box = box
    }
}

/// A registered person (JSON field names are the CLI and HTTP contract).
public struct GalleryPerson: Codable, Sendable, Equatable {
    public var name: String
    /// Number of stored embeddings.
    public var faces: Int
    /// ISO 8601 UTC times of the first and the latest registration.
    public var created_at: String
    public var updated_at: String
    /// The recognizer of the person's embeddings.
    public var recognizer: String
    public var recognizer_version: String
    /// Source image names of the embeddings, oldest first.
    public var images: [String]

    public init(name: String, faces: Int, created_at: String, updated_at: String, recognizer: String,
                recognizer_version: String, images: [String]) {
        self.name = name; self.faces = faces; self.created_at = created_at; self.updated_at = updated_at
        self.recognizer = recognizer; self.recognizer_version = recognizer_version; self.images = images
    }
}

/// Every stored embedding as one row-major matrix, with the row → person map.
///
/// Layout: `matrix[r * dimension + k]` is component `k` of embedding `r`; `owner[r]` indexes `people`.
public struct GallerySnapshot: Sendable {
    public var revision: Int64
    /// nil when the gallery is empty.
    public var recognizer: RecognizerID?
    public var dimension: Int
    public var people: [String]
    public var owner: [Int32]
    public var matrix: [Float]
    /// Number of embeddings (rows).
    public var rows: Int { owner.count }

    public init(revision: Int64, recognizer: RecognizerID?, dimension: Int, people: [String], owner: [Int32], matrix: [Float]) {
        precondition(matrix.count == owner.count * dimension, "matrix is rows × dimension")
        self.revision = revision; self.recognizer = recognizer; self.dimension = dimension
        self.people = people; self.owner = owner; self.matrix = matrix
    }

    public static let empty = GallerySnapshot(revision: -1, recognizer: nil, dimension: 0, people: [], owner: [], matrix: [])
}

/// Why a gallery operation was refused (the CLI exits with code 2 on these; HTTP answers 400/404/409).
public enum GalleryError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// Faces of another recognizer or version than the ones stored.
    case recognizerMismatch(stored: RecognizerID, given: RecognizerID, location: String)
    case dimensionMismatch(stored: Int, given: Int)
    case invalidName(String)
    case invalidEmbedding(String)
    case noFaces(person: String)
    case unknownPerson(String)
    case unsupportedLocation(String)
    case storage(String)

    public var description: String {
        switch self {
        case .recognizerMismatch(let s, let g, let l):
            return "the gallery \(l) holds embeddings of \(s); these are of \(g): embeddings of different recognizers or versions cannot be compared (use another --gallery, or the same --recognizer)"
        case .dimensionMismatch(let s, let g): return "the gallery holds \(s)-dimensional embeddings; these have \(g)"
        case .invalidName(let m): return "invalid person name: \(m)"
        case .invalidEmbedding(let m): return "invalid embedding: \(m)"
        case .noFaces(let p): return "no face to register for '\(p)'"
        case .unknownPerson(let p): return "no person named '\(p)' in the gallery"
        case .unsupportedLocation(let m): return m
        case .storage(let m): return "gallery storage: \(m)"
        }
    }
    public var errorDescription: String? { description }

    /// Person names: 1–200 characters after trimming, no control characters, not `unknown` (the answer for
    /// "nobody"), case-sensitive.
    public static func check(name: String) throws -> String {
        let n = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !n.isEmpty else { throw GalleryError.invalidName("empty") }
        guard n.count <= 200 else { throw GalleryError.invalidName("longer than 200 characters") }
        guard !n.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw GalleryError.invalidName("'\(n)' contains control characters")
        }
        guard n.lowercased() != "unknown" else { throw GalleryError.invalidName("'unknown' is the answer for nobody in the gallery") }
        return n
    }

    /// Embeddings: non-empty, one dimension, finite.
    static func check(faces: [GalleryFace], person: String) throws {
        guard let d = faces.first?.embedding.count else { throw GalleryError.noFaces(person: person) }
        for f in faces {
            guard f.embedding.count == d, d > 0 else { throw GalleryError.invalidEmbedding("faces of '\(person)' have different lengths") }
            guard f.embedding.allSatisfy(\.isFinite) else { throw GalleryError.invalidEmbedding("\(f.sourceImage): not finite") }
            guard f.box.count == 0 || f.box.count == 4 else { throw GalleryError.invalidEmbedding("\(f.sourceImage): a box has 4 numbers") }
        }
    }

    /// `2026-12-03T15:10:00.123Z`.
    static func timestamp(_ seconds: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: seconds))
    }
}
