import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The shared `GalleryStore`: a PostgreSQL database (postgres-nio), so several `vz serve` replicas and `vz gallery`
/// runs on other machines use one gallery.
///
/// Location: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&schema=…]` (`postgresql://` too);
/// `host=/path` in the query selects a Unix socket folder instead (`postgres:///db?host=/var/run/postgresql`).
/// `sslmode` as libpq: `disable`, `prefer` (default: TLS when the server offers it, certificate not checked),
/// `require` (TLS, certificate not checked), `verify-full` (TLS, certificate and host name checked against the
/// system's roots). `schema` keeps the tables in that schema (created if missing), so one database can hold
/// several galleries.
///
/// Schema (created if missing, under an advisory lock so that replicas starting together do not race):
/// - `vz_person(id, name UNIQUE, created_at, updated_at)` — times in seconds since 1970 (UTC);
/// - `vz_face(id, person_id → vz_person ON DELETE CASCADE, recognizer, recognizer_version, dimension,
///   embedding BYTEA, source_image, box_x1…box_y2, created_at)` — `embedding` is `dimension` little-endian float32
///   values, L2-normalised (the same bytes as the SQLite store's BLOB);
/// - `vz_gallery_meta(key, value)` — `revision`, bumped in every write transaction.
///
/// Transactions: each `add` / `remove` is one `BEGIN … COMMIT` that first locks the `revision` row
/// (`SELECT … FOR UPDATE`), so writers from every process are serialised and the recognizer check cannot race;
/// PostgreSQL's default `synchronous_commit = on` makes a returned commit durable (it survives `kill -9` of this
/// process and of the server). `snapshot` reads in one `REPEATABLE READ READ ONLY` transaction. One connection
/// per store, used under a lock (calls from many threads are serialised); a broken connection is reopened on the
/// next call. Blocking calls: never call from an event-loop thread (`vz serve` calls from its blocking threads).
public final class PostgresGalleryStore: GalleryStore, GalleryFaultInjection, @unchecked Sendable {
    /// The URL without its password.
    public let location: String
    private let configuration: PostgresConnection.Configuration
    private let schema: String?
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var nextID = 1
    private let logger = Logger(label: "vz.gallery.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Test hooks, as `SQLiteGalleryStore`'s: kill the process / throw inside the `add` transaction after N faces.
    private let crashAfterFaces = ProcessInfo.processInfo.environment["VZ_TEST_CRASH_MID_REGISTRATION"].flatMap { Int($0) }
    var failAfterFaces: Int?

    /// Whether `location` names a PostgreSQL gallery.
    public static func accepts(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// Connects to `url` and creates the tables if missing.
    public init(url: String) throws {
        let parsed = try Self.parse(url)
        configuration = parsed.configuration; schema = parsed.schema; location = parsed.location
        try transaction { c in
            try Self.run(c, "SELECT pg_advisory_xact_lock(7461730)", logger)   // "vz" + gallery: one creator at a time
            if let schema = self.schema {
                try Self.run(c, PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(Self.quoted(schema))"), logger)
            }
            for sql in Self.schemaSQL { try Self.run(c, PostgresQuery(unsafeSQL: sql), logger) }
        }
    }

    static let schemaSQL = [
        """
        CREATE TABLE IF NOT EXISTS vz_person (
          id BIGSERIAL PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          created_at DOUBLE PRECISION NOT NULL,
          updated_at DOUBLE PRECISION NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS vz_face (
          id BIGSERIAL PRIMARY KEY,
          person_id BIGINT NOT NULL REFERENCES vz_person(id) ON DELETE CASCADE,
          recognizer TEXT NOT NULL,
          recognizer_version TEXT NOT NULL,
          dimension INTEGER NOT NULL,
          embedding BYTEA NOT NULL,
          source_image TEXT NOT NULL,
          box_x1 DOUBLE PRECISION, box_y1 DOUBLE PRECISION, box_x2 DOUBLE PRECISION, box_y2 DOUBLE PRECISION,
          created_at DOUBLE PRECISION NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS vz_face_person ON vz_face(person_id)",
        "CREATE TABLE IF NOT EXISTS vz_gallery_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)",
        "INSERT INTO vz_gallery_meta (key, value) VALUES ('revision', 0) ON CONFLICT (key) DO NOTHING",
    ]

    // MARK: GalleryStore

    public func add(person: String, faces: [GalleryFace], recognizer: RecognizerID) throws -> GalleryPerson {
        let name = try GalleryError.check(name: person)
        try GalleryError.check(faces: faces, person: name)
        let dim = faces[0].embedding.count
        let crashAfter = crashAfterFaces, failAfter = failAfterFaces
        try transaction { c in
            _ = try Self.run(c, "SELECT value FROM vz_gallery_meta WHERE key = 'revision' FOR UPDATE", logger)
            for row in try Self.run(c, "SELECT recognizer, recognizer_version, dimension FROM vz_face LIMIT 1", logger) {
                let (r, v, d) = try row.decode((String, String, Int32).self)
                let stored = RecognizerID(name: r, version: v)
                guard stored == recognizer else {
                    throw GalleryError.recognizerMismatch(stored: stored, given: recognizer, location: location)
                }
                guard Int(d) == dim else { throw GalleryError.dimensionMismatch(stored: Int(d), given: dim) }
            }
            let now = Date().timeIntervalSince1970
            let ids = try Self.run(c, """
                INSERT INTO vz_person (name, created_at, updated_at) VALUES (\(name), \(now), \(now))
                ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at RETURNING id
                """, logger)
            guard let pid = try ids.first(where: { _ in true })?.decode(Int64.self) else {
                throw GalleryError.storage("person row missing after insert")
            }
            for (i, f) in faces.enumerated() {
                if let crashAfter, i == crashAfter { kill(getpid(), SIGKILL) }
                if let failAfter, i == failAfter { throw InjectedFault() }
                let box: [Double?] = f.box.count == 4 ? f.box.map { Double($0) } : [nil, nil, nil, nil]
                try Self.run(c, """
                    INSERT INTO vz_face (person_id, recognizer, recognizer_version, dimension, embedding, source_image,
                                         box_x1, box_y1, box_x2, box_y2, created_at)
                    VALUES (\(pid), \(recognizer.name), \(recognizer.version), \(Int32(dim)), \(Self.bytes(f.embedding)),
                            \(f.sourceImage), \(box[0]), \(box[1]), \(box[2]), \(box[3]), \(now))
                    """, logger)
            }
            try Self.run(c, "UPDATE vz_gallery_meta SET value = value + 1 WHERE key = 'revision'", logger)
        }
        guard let p = try people(named: name).first else { throw GalleryError.storage("person '\(name)' missing after commit") }
        return p
    }

    struct InjectedFault: Error {}

    public func remove(person: String) throws -> Bool {
        let name = person.trimmingCharacters(in: .whitespacesAndNewlines)
        return try transaction { c in
            _ = try Self.run(c, "SELECT value FROM vz_gallery_meta WHERE key = 'revision' FOR UPDATE", logger)
            let gone = try Self.run(c, "DELETE FROM vz_person WHERE name = \(name) RETURNING id", logger).contains { _ in true }
            if gone { try Self.run(c, "UPDATE vz_gallery_meta SET value = value + 1 WHERE key = 'revision'", logger) }
            return gone
        }
    }

    public func people() throws -> [GalleryPerson] { try people(named: nil) }

    private func people(named: String?) throws -> [GalleryPerson] {
        try withConnection { c in
            let select = """
                SELECT p.name, p.created_at, p.updated_at, f.recognizer, f.recognizer_version, f.source_image
                FROM vz_person p LEFT JOIN vz_face f ON f.person_id = p.id
                """
            let rows: PostgresQueryResult
            if let named {
                var q = PostgresQuery(unsafeSQL: select + " WHERE p.name = $1 ORDER BY p.name, f.id")
                q.binds.append(named)
                rows = try Self.run(c, q, logger)
            } else {
                rows = try Self.run(c, PostgresQuery(unsafeSQL: select + " ORDER BY p.name COLLATE \"C\", f.id"), logger)
            }
            var out: [GalleryPerson] = []
            for r in rows {
                let (name, created, updated, rec, ver, image) = try r.decode((String, Double, Double, String?, String?, String?).self)
                if out.last?.name != name {
                    out.append(GalleryPerson(name: name, faces: 0, created_at: GalleryError.timestamp(created),
                                             updated_at: GalleryError.timestamp(updated), recognizer: rec ?? "",
                                             recognizer_version: ver ?? "", images: []))
                }
                if let image {
                    out[out.count - 1].faces += 1
                    out[out.count - 1].images.append(image)
                }
            }
            return out
        }
    }

    public func revision() throws -> Int64 {
        try withConnection { c in try Self.revision(c, logger) }
    }

    private static func revision(_ c: PostgresConnection, _ logger: Logger) throws -> Int64 {
        for r in try run(c, "SELECT value FROM vz_gallery_meta WHERE key = 'revision'", logger) { return try r.decode(Int64.self) }
        return 0
    }

    public func snapshot() throws -> GallerySnapshot {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { c in
            let revision = try Self.revision(c, logger)
            var first: (String, String, Int32)?
            for r in try Self.run(c, "SELECT recognizer, recognizer_version, dimension FROM vz_face LIMIT 1", logger) {
                first = try r.decode((String, String, Int32).self)
            }
            guard let first else {
                return GallerySnapshot(revision: revision, recognizer: nil, dimension: 0, people: [], owner: [], matrix: [])
            }
            let dim = Int(first.2)
            var people: [String] = [], index: [Int64: Int32] = [:]
            for r in try Self.run(c, "SELECT id, name FROM vz_person ORDER BY name COLLATE \"C\"", logger) {
                let (id, name) = try r.decode((Int64, String).self)
                index[id] = Int32(people.count); people.append(name)
            }
            var matrix: [Float] = [], owner: [Int32] = []
            for r in try Self.run(c, "SELECT person_id, embedding FROM vz_face ORDER BY id", logger) {
                let (pid, blob) = try r.decode((Int64, ByteBuffer).self)
                guard blob.readableBytes == dim * 4 else {
                    throw GalleryError.storage("face of person \(pid): embedding is not \(dim) float32 values")
                }
                blob.withUnsafeReadableBytes { raw in
                    for i in 0..<dim {
                        matrix.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
                    }
                }
                owner.append(index[pid] ?? 0)
            }
            return GallerySnapshot(revision: revision, recognizer: RecognizerID(name: first.0, version: first.1),
                                   dimension: dim, people: people, owner: owner, matrix: matrix)
        }
    }

    /// Drops this store's schema and everything in it (a no-op without `schema=`): the benchmark's and the tests'
    /// clean-up. Closes the connection.
    public func dropSchema() {
        guard let schema else { return }
        _ = try? withConnection { c in try Self.run(c, PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(Self.quoted(schema)) CASCADE"), logger) }
        lock.withLock { _ = try? connection?.close().wait(); connection = nil }
    }

    deinit { _ = try? connection?.close().wait() }

    // MARK: Connection, transactions, errors

    /// Runs `body` on the (re)opened connection under the lock; errors become `GalleryError.storage` naming the
    /// location (`GalleryError`s pass through). A failed connection is dropped so that the next call reconnects.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try lock.withLock {
            do {
                if connection == nil || connection!.isClosed {
                    connection = nil
                    let id = nextID; nextID += 1
                    let c = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                          configuration: configuration, id: id, logger: logger).wait()
                    if let schema { try Self.run(c, PostgresQuery(unsafeSQL: "SET search_path TO \(Self.quoted(schema))"), logger) }
                    connection = c
                }
                return try body(connection!)
            } catch let e as GalleryError {
                throw e
            } catch is InjectedFault {
                throw GalleryError.storage("\(location): injected fault (test)")
            } catch {
                if connection?.isClosed ?? false { connection = nil }
                throw GalleryError.storage("\(location): \(Self.describe(error))")
            }
        }
    }

    /// `begin` … `COMMIT`, or `ROLLBACK` when `body` throws.
    private func transaction<T>(begin: String = "BEGIN", _ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { c in
            try Self.run(c, PostgresQuery(unsafeSQL: begin), logger)
            do {
                let out = try body(c)
                try Self.run(c, "COMMIT", logger)
                return out
            } catch {
                _ = try? Self.run(c, "ROLLBACK", logger)
                throw error
            }
        }
    }

    @discardableResult
    private static func run(_ c: PostgresConnection, _ q: PostgresQuery, _ logger: Logger) throws -> PostgresQueryResult {
        try c.query(q, logger: logger).wait()
    }

    /// A PostgreSQL error in words: the server's message (`PSQLError` hides it from `description`).
    static func describe(_ error: Error) -> String {
        if let p = error as? PSQLError {
            if let m = p.serverInfo?[.message] { return "PostgreSQL: \(m)" }
            switch p.code {
            case .connectionError: return "cannot connect to the PostgreSQL server (\(p.underlying.map { "\($0)" } ?? "connection refused"))"
            case .serverClosedConnection, .uncleanShutdown: return "the PostgreSQL server closed the connection"
            case .sslUnsupported: return "the PostgreSQL server does not support TLS (use sslmode=disable or prefer)"
            default: return "PostgreSQL: \(p.code)\(p.underlying.map { " (\($0))" } ?? "")"
            }
        }
        return "\(error)"
    }

    /// `values` as little-endian float32 bytes (bound as BYTEA).
    static func bytes(_ values: [Float]) -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: values.count * 4)
        for v in values { b.writeInteger(v.bitPattern, endianness: .little) }
        return b
    }

    /// An SQL identifier in double quotes.
    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    // MARK: URL

    struct Parsed {
        var configuration: PostgresConnection.Configuration
        var schema: String?
        var location: String
    }

    /// Parses a `postgres://` URL (see the type's documentation); throws `GalleryError.unsupportedLocation` naming
    /// what is wrong.
    static func parse(_ url: String) throws -> Parsed {
        func bad(_ why: String) -> GalleryError { .unsupportedLocation("gallery URL \(redacted(url)): \(why)") }
        guard accepts(url), let u = URLComponents(string: url) else { throw bad("not a postgres://USER@HOST/DATABASE URL") }
        let query = Dictionary((u.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, b in b })
        for k in query.keys where !["sslmode", "schema", "host"].contains(k) {
            throw bad("unknown parameter '\(k)' (known: sslmode, schema, host)")
        }
        let user = u.user.flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.environment["PGUSER"] ?? "postgres"
        let password = u.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
        let path = u.path.hasPrefix("/") ? String(u.path.dropFirst()) : u.path
        let database = path.isEmpty ? user : path
        guard !database.contains("/") else { throw bad("the path must be one database name") }
        let port = u.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("port \(port) out of range") }
        var config: PostgresConnection.Configuration
        if let socketDir = query["host"], socketDir.hasPrefix("/") {
            config = .init(unixSocketPath: socketDir + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            let host = query["host"] ?? u.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            let tls: PostgresConnection.Configuration.TLS
            switch query["sslmode"] ?? "prefer" {
            case "disable": tls = .disable
            case "allow", "prefer": tls = .prefer(try sslContext(verify: false))
            case "require": tls = .require(try sslContext(verify: false))
            case "verify-full", "verify-ca": tls = .require(try sslContext(verify: true))
            case let m: throw bad("sslmode '\(m)' (known: disable, allow, prefer, require, verify-ca, verify-full)")
            }
            config = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        config.options.connectTimeout = .seconds(10)
        var schema: String?
        if let s = query["schema"] {
            guard !s.isEmpty, s.count <= 63 else { throw bad("schema must be 1-63 characters") }
            schema = s
        }
        return Parsed(configuration: config, schema: schema, location: redacted(url))
    }

    /// The URL without its password.
    public static func redacted(_ url: String) -> String {
        guard var u = URLComponents(string: url), u.password != nil else { return url }
        u.password = nil
        return u.string ?? url
    }

    private static func sslContext(verify: Bool) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !verify { tls.certificateVerification = .none }
        do { return try NIOSSLContext(configuration: tls) } catch {
            throw GalleryError.unsupportedLocation("cannot set up TLS for PostgreSQL: \(error)")
        }
    }
}
