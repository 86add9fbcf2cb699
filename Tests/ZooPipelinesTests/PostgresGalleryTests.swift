import Foundation
import XCTest
@testable import ZooPipelines

/// The PostgreSQL server of the tests: `VZ_TEST_POSTGRES_URL` (`.ci/run` starts Debian's `postgresql` on
/// 127.0.0.1 and sets it, see `scripts/postgres-test-server.sh`). Each test case gets its own schema (dropped after).
enum TestPostgres {
    static var url: String? {
        ProcessInfo.processInfo.environment["VZ_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func require() throws -> String {
        guard let url else {
            throw XCTSkip("VZ_TEST_POSTGRES_URL is not set (scripts/postgres-test-server.sh starts a local server): PostgreSQL gallery tests skipped")
        }
        return url
    }

    /// `url` with `schema=NAME` added.
    static func url(_ base: String, schema: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    /// A fresh schema name for one test.
    static func newSchema() -> String { "vz_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16) }

    static func drop(_ base: String, schema: String) {
        (try? PostgresGalleryStore(url: url(base, schema: schema)))?.dropSchema()
    }
}

/// Every `GalleryStore` contract test, on a real PostgreSQL server.
final class PostgresGalleryStoreTests: GalleryStoreTests {
    private var base: String!
    private var schemas: [String: String] = [:]

    override func setUpWithError() throws {
        try super.setUpWithError()
        base = try TestPostgres.require()
    }

    override func tearDownWithError() throws {
        if let base { for s in schemas.values { TestPostgres.drop(base, schema: s) } }
        try super.tearDownWithError()
    }

    /// One schema per `path` (two stores on one path share it, as two replicas on one database).
    override func makeStore(_ path: String = "g.sqlite") throws -> any GalleryStore {
        let schema = schemas[path] ?? TestPostgres.newSchema()
        schemas[path] = schema
        return try PostgresGalleryStore(url: TestPostgres.url(base, schema: schema))
    }

    func testURLParsingAndRedaction() throws {
        let p = try PostgresGalleryStore.parse("postgres://alice:s3cret@127.0.0.1:5433/faces?sslmode=disable&schema=g1")
        XCTAssertEqual(p.configuration.username, "alice"); XCTAssertEqual(p.configuration.password, "s3cret")
        XCTAssertEqual(p.configuration.database, "faces"); XCTAssertEqual(p.configuration.port, 5433)
        XCTAssertEqual(p.schema, "g1")
        XCTAssertFalse(p.location.contains("s3cret"), p.location)
        for bad in ["postgres://a@h/db?sslmode=nope", "postgres://a@h/db?colour=red", "postgres://a@h/x/y", "postgres://a@h:70000/db"] {
            XCTAssertThrowsError(try PostgresGalleryStore.parse(bad), bad) { e in
                XCTAssertTrue("\(e)".hasPrefix("gallery URL"), "\(e)")
            }
        }
        // A wrong password: the server's own message, never the password.
        guard var u = URLComponents(string: base) else { return }
        u.password = "definitely-wrong"
        XCTAssertThrowsError(try PostgresGalleryStore(url: u.string!)) { e in
            XCTAssertTrue("\(e)".contains("PostgreSQL"), "\(e)")
            XCTAssertFalse("\(e)".contains("definitely-wrong"), "\(e)")
        }
    }
}

/// The CLI tests (`kill -9` right after a registration, a crash inside one, …) with `--gallery postgres://…`.
final class PostgresGalleryCLITests: GalleryCLITests {
    private var base: String?
    private let schema = TestPostgres.newSchema()

    override var galleryPath: String { TestPostgres.url(base ?? "postgres://unset", schema: schema) }

    override func setUpWithError() throws {
        try super.setUpWithError()
        base = try TestPostgres.require()
    }

    override func tearDownWithError() throws {
        if let base { TestPostgres.drop(base, schema: schema) }
        try super.tearDownWithError()
    }

    /// Two processes (as two replicas) register different people into one PostgreSQL gallery at the same time;
    /// a third sees both, and identifies with the gallery size of both.
    func testTwoProcessesShareOneGallery() throws {
        try requireSFace()
        let people = ["Al_Pacino", "Adrien_Brody"]
        let runs = try people.map { p in try process(["gallery", "add", p, try lfw(p, 0), "--aligned"]) }
        for (p, out, err) in runs {
            _ = out.fileHandleForReading.readDataToEndOfFile()
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, e)
        }
        let (s, out, err) = try vz(["gallery", "list"])
        XCTAssertEqual(s, 0, err)
        XCTAssertEqual(out.split(separator: "\n").count, 2, out)
        XCTAssertTrue(err.contains("2 people, 2 embeddings"), err)
        let (si, oi, ei) = try vz(["identify", "--aligned", try lfw(people[1], 1)])
        XCTAssertEqual(si, 0, ei)
        let j = try json(oi.split(separator: "\n")[0])
        XCTAssertEqual(j["gallery_size"] as? Int, 2)
        XCTAssertEqual((j["faces"] as? [[String: Any]])?.first?["name"] as? String, people[1])
    }
}
