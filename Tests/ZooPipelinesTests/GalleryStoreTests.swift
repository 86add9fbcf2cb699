import Foundation
import XCTest
@testable import ZooPipelines

/// `GalleryStore` contract tests on the SQLite store (`PostgresGalleryStoreTests` runs the same tests on a real
/// PostgreSQL server by overriding `makeStore`): add / list / remove / search, recognizer refusal, transaction atomicity, reopen,
/// cross-instance refresh, 16 concurrent clients.
class GalleryStoreTests: XCTestCase {
    var tmp: URL!
    let rec = RecognizerID(name: "sface", version: "test v1")

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("vz-gallery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// The store under test (one database per call of `path`).
    func makeStore(_ path: String = "g.sqlite") throws -> any GalleryStore {
        try SQLiteGalleryStore(path: tmp.appendingPathComponent(path).path)
    }

    /// A deterministic unit-ish vector: one-hot at `axis` plus a little of `jitter`.
    func vec(_ axis: Int, dim: Int = 8, jitter: Float = 0) -> [Float] {
        var v = [Float](repeating: jitter, count: dim); v[axis % dim] = 1; return v
    }

    func face(_ axis: Int, _ image: String = "img.jpg") -> GalleryFace {
        GalleryFace(embedding: vec(axis, jitter: 0.05), sourceImage: image, box: [1, 2, 30, 40])
    }

    func testAddListRemoveSearch() throws {
        let g = Gallery(store: try makeStore())
        XCTAssertEqual(try g.people(), [])
        let (none, _, empty) = try g.search(vec(0), recognizer: rec)
        XCTAssertNil(none); XCTAssertEqual(empty.rows, 0)

        let a = try g.add(person: "alice", faces: [face(0, "a1.jpg"), face(0, "a2.jpg")], recognizer: rec)
        XCTAssertEqual(a.faces, 2); XCTAssertEqual(a.images, ["a1.jpg", "a2.jpg"])
        XCTAssertEqual(a.recognizer, "sface"); XCTAssertEqual(a.recognizer_version, "test v1")
        try g.add(person: "bob", faces: [face(1, "b.jpg")], recognizer: rec)
        try g.add(person: "carol", faces: [face(2, "c.jpg")], recognizer: rec)
        let appended = try g.add(person: "alice", faces: [face(0, "a3.jpg")], recognizer: rec)
        XCTAssertEqual(appended.faces, 3)
        XCTAssertEqual(appended.created_at, a.created_at)
        XCTAssertEqual(try g.people().map(\.name), ["alice", "bob", "carol"])

        let (best, second, s) = try g.search(vec(1), recognizer: rec)
        XCTAssertEqual(best?.person, "bob")
        XCTAssertEqual(s.rows, 5); XCTAssertEqual(s.people.count, 3)
        // cosine of normalised one-hot+jitter vectors: exact reference
        let q = FaceVerifier.normalized(vec(1)), b = FaceVerifier.normalized(vec(1, jitter: 0.05))
        XCTAssertEqual(best!.similarity, zip(q, b).map(*).reduce(0, +), accuracy: 1e-6)
        XCTAssertNotNil(second); XCTAssertNotEqual(second?.person, "bob")

        XCTAssertTrue(try g.remove(person: "bob"))
        XCTAssertFalse(try g.remove(person: "bob"))
        XCTAssertEqual(try g.people().map(\.name), ["alice", "carol"])
        XCTAssertNotEqual(try g.search(vec(1), recognizer: rec).best?.person, "bob")
    }

    func testRecognizerOrVersionMismatchIsRefusedAndWritesNothing() throws {
        let g = Gallery(store: try makeStore())
        try g.add(person: "alice", faces: [face(0)], recognizer: rec)
        let before = try g.store.revision()
        for other in [RecognizerID(name: "dlib-resnet", version: "test v1"), RecognizerID(name: "sface", version: "test v2")] {
            XCTAssertThrowsError(try g.add(person: "bob", faces: [face(1)], recognizer: other)) { e in
                guard case GalleryError.recognizerMismatch(let stored, let given, _) = e else { return XCTFail("\(e)") }
                XCTAssertEqual(stored, self.rec); XCTAssertEqual(given, other)
                XCTAssertTrue("\(e)".contains("cannot be compared"), "\(e)")
            }
            XCTAssertThrowsError(try g.search(vec(0), recognizer: other))
        }
        XCTAssertEqual(try g.people().map(\.name), ["alice"])
        XCTAssertEqual(try g.store.revision(), before)
        XCTAssertThrowsError(try g.add(person: "bob", faces: [GalleryFace(embedding: [1, 0, 0], sourceImage: "x", box: [])], recognizer: rec)) { e in
            XCTAssertEqual(e as? GalleryError, .dimensionMismatch(stored: 8, given: 3))
        }
        // Once empty, another recognizer may start the gallery afresh.
        try g.remove(person: "alice")
        XCTAssertNoThrow(try g.add(person: "bob", faces: [face(1)], recognizer: RecognizerID(name: "dlib-resnet", version: "x")))
    }

    func testInvalidInputsAreRefused() throws {
        let g = Gallery(store: try makeStore())
        XCTAssertThrowsError(try g.add(person: "  ", faces: [face(0)], recognizer: rec))
        XCTAssertThrowsError(try g.add(person: "unknown", faces: [face(0)], recognizer: rec))
        XCTAssertThrowsError(try g.add(person: "a\u{7}b", faces: [face(0)], recognizer: rec))
        XCTAssertThrowsError(try g.add(person: "alice", faces: [], recognizer: rec))
        XCTAssertThrowsError(try g.add(person: "alice", faces: [GalleryFace(embedding: [.nan, 1], sourceImage: "x", box: [])], recognizer: rec))
        XCTAssertEqual(try g.people(), [])
    }

    /// A failure after the person row and some faces were written inside the transaction leaves nothing behind.
    func testRegistrationIsOneTransaction() throws {
        let store = try makeStore()
        let hook = try XCTUnwrap(store as? GalleryFaultInjection, "the store under test has no fault hook")
        let g = Gallery(store: store)
        try g.add(person: "alice", faces: [face(0)], recognizer: rec)
        let rev = try store.revision()
        hook.failAfterFaces = 2
        XCTAssertThrowsError(try g.add(person: "bob", faces: [face(1), face(1), face(1)], recognizer: rec))
        XCTAssertThrowsError(try g.add(person: "alice", faces: [face(0), face(0), face(0)], recognizer: rec))
        hook.failAfterFaces = nil
        XCTAssertEqual(try g.people().map(\.name), ["alice"])
        XCTAssertEqual(try g.people().first?.faces, 1)
        XCTAssertEqual(try store.revision(), rev)
        XCTAssertEqual(try g.snapshot().rows, 1)
    }

    func testReopenAndRefreshAcrossInstances() throws {
        let path = "shared.sqlite"
        let writer = Gallery(store: try makeStore(path)), reader = Gallery(store: try makeStore(path))
        XCTAssertNil(try reader.search(vec(3), recognizer: rec).best)
        try writer.add(person: "dave", faces: [face(3)], recognizer: rec)
        XCTAssertEqual(try reader.search(vec(3), recognizer: rec).best?.person, "dave", "reader reloads on a new revision")
        try writer.remove(person: "dave")
        XCTAssertNil(try reader.search(vec(3), recognizer: rec).best)
        try writer.add(person: "erin", faces: [face(4)], recognizer: rec)
        let reopened = Gallery(store: try makeStore(path))
        XCTAssertEqual(try reopened.people().map(\.name), ["erin"])
    }

    /// 16 clients at once, each registering its own person (2 faces, twice) and searching in between: nothing
    /// lost, every search answered.
    func testSixteenConcurrentClientsLoseNothing() throws {
        let g = Gallery(store: try makeStore())
        let dim = 32
        func v(_ i: Int) -> [Float] { var x = [Float](repeating: 0.01, count: dim); x[i % dim] = 1; x[(i + 7) % dim] = 0.5; return x }
        let errors = LockedList()
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            do {
                for round in 0..<2 {
                    try g.add(person: "client\(i)", faces: [GalleryFace(embedding: v(i), sourceImage: "c\(i)-\(round)a", box: []),
                                                        GalleryFace(embedding: v(i), sourceImage: "c\(i)-\(round)b", box: [])],
                              recognizer: rec)
                    let r = try g.search(v(i), recognizer: rec)
                    if r.best?.person != "client\(i)" { errors.append("client\(i) round \(round): best \(r.best?.person ?? "nil")") }
                }
            } catch { errors.append("client\(i): \(error)") }
        }
        XCTAssertEqual(errors.items, [])
        let people = try g.people()
        XCTAssertEqual(people.count, 16)
        XCTAssertTrue(people.allSatisfy { $0.faces == 4 }, "\(people.map(\.faces))")
        XCTAssertEqual(try g.snapshot().rows, 64)
        for i in 0..<16 { XCTAssertEqual(try g.search(v(i), recognizer: rec).best?.person, "client\(i)") }
    }

    func testSearchMatchesNaiveReferenceOnRandomGallery() throws {
        var rng = SystemRandomNumberGenerator()
        let dim = 64, people = 50
        let snap: GallerySnapshot = {
            var m: [Float] = [], owner: [Int32] = []
            for p in 0..<people { for _ in 0..<(1 + p % 3) {
                m += FaceVerifier.normalized((0..<dim).map { _ in Float.random(in: -1...1, using: &rng) }); owner.append(Int32(p))
            } }
            return GallerySnapshot(revision: 0, recognizer: rec, dimension: dim, people: (0..<people).map { "p\($0)" }, owner: owner, matrix: m)
        }()
        for _ in 0..<20 {
            let q = FaceVerifier.normalized((0..<dim).map { _ in Float.random(in: -1...1, using: &rng) })
            var best = [Float](repeating: -.infinity, count: people)
            for r in 0..<snap.rows {
                let s = FaceVerifier.cosine(Array(snap.matrix[(r * dim)..<((r + 1) * dim)]), q)
                best[Int(snap.owner[r])] = max(best[Int(snap.owner[r])], s)
            }
            let order = best.indices.sorted { best[$0] > best[$1] }
            let (b, c) = Gallery.top2(snap, query: q)
            XCTAssertEqual(b?.person, "p\(order[0])"); XCTAssertEqual(c?.person, "p\(order[1])")
            XCTAssertEqual(b!.similarity, best[order[0]], accuracy: 1e-5)
            XCTAssertEqual(c!.similarity, best[order[1]], accuracy: 1e-5)
        }
    }
}

/// A thread-safe list of strings (test failures gathered from worker threads).
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ s: String) { lock.withLock { list.append(s) } }
    var items: [String] { lock.withLock { list } }
}
