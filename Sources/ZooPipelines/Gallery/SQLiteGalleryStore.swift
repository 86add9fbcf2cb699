import Foundation
import GRDB

/// The default `GalleryStore`: one SQLite file (GRDB.swift), WAL mode, `synchronous = FULL`.
///
/// Schema (migration `v1`):
/// - `person(id, name UNIQUE, created_at, updated_at)` — times in seconds since 1970 (UTC);
/// - `face(id, person_id → person ON DELETE CASCADE, recognizer, recognizer_version, dimension, embedding BLOB,
///   source_image, box_x1, box_y1, box_x2, box_y2, created_at)` — `embedding` is `dimension` little-endian
///   float32 values, L2-normalised;
/// - `gallery_meta(key, value)` — `revision`, bumped in every write transaction.
///
/// Durability: each `add` / `remove` is one `BEGIN IMMEDIATE … COMMIT`; with WAL and `synchronous = FULL` the
/// commit is fsync'ed before it returns, so a registration that returned survives `kill -9` (and power loss),
/// and a crash before the commit leaves nothing of it. Several processes may use one file (a busy writer is
/// waited for up to 10 s); readers never block writers.
public final class SQLiteGalleryStore: GalleryStore, GalleryFaultInjection, @unchecked Sendable {
    public let location: String
    private let pool: DatabasePool

    /// Test hook: with `VZ_TEST_CRASH_MID_REGISTRATION=N` in the environment, the process kills itself with
    /// SIGKILL inside the `add` transaction after inserting N faces (the crash-atomicity test runs `vz gallery add`
    /// so in a child process).
    private let crashAfterFaces = ProcessInfo.processInfo.environment["VZ_TEST_CRASH_MID_REGISTRATION"].flatMap { Int($0) }

    /// Test hook (in-process): `add` throws inside its transaction after inserting this many faces.
    var failAfterFaces: Int?

    struct InjectedFault: Error {}

    /// Opens (creating it and its folder if needed) the gallery file at `path`.
    public init(path: String) throws {
        location = path
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var config = Configuration()
            config.busyMode = .timeout(10)
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw GalleryError.storage("\(path): cannot open the gallery (\(error))")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE person (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  name TEXT NOT NULL UNIQUE,
                  created_at DOUBLE NOT NULL,
                  updated_at DOUBLE NOT NULL);
                CREATE TABLE face (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  recognizer TEXT NOT NULL,
                  recognizer_version TEXT NOT NULL,
                  dimension INTEGER NOT NULL,
                  embedding BLOB NOT NULL,
                  source_image TEXT NOT NULL,
                  box_x1 DOUBLE, box_y1 DOUBLE, box_x2 DOUBLE, box_y2 DOUBLE,
                  created_at DOUBLE NOT NULL);
                CREATE INDEX face_person ON face(person_id);
                CREATE TABLE gallery_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO gallery_meta (key, value) VALUES ('revision', 0);
                """)
        }
        return m
    }

    public func add(person: String, faces: [GalleryFace], recognizer: RecognizerID) throws -> GalleryPerson {
        let name = try GalleryError.check(name: person)
        try GalleryError.check(faces: faces, person: name)
        let dim = faces[0].embedding.count
        let crashAfter = crashAfterFaces, failAfter = failAfterFaces
        try wrap {
            try pool.write { db in
                if let row = try Row.fetchOne(db, sql: "SELECT recognizer, recognizer_version, dimension FROM face LIMIT 1") {
                    let stored = RecognizerID(name: row["recognizer"], version: row["recognizer_version"])
                    guard stored == recognizer else {
                        throw GalleryError.recognizerMismatch(stored: stored, given: recognizer, location: self.location)
                    }
                    let d: Int = row["dimension"]
                    guard d == dim else { throw GalleryError.dimensionMismatch(stored: d, given: dim) }
                }
                let now = Date().timeIntervalSince1970
                try db.execute(sql: """
                    INSERT INTO person (name, created_at, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET updated_at = excluded.updated_at
                    """, arguments: [name, now, now])
                guard let pid = try Int64.fetchOne(db, sql: "SELECT id FROM person WHERE name = ?", arguments: [name]) else {
                    throw GalleryError.storage("person row missing after insert")
                }
                for (i, f) in faces.enumerated() {
                    if let crashAfter, i == crashAfter { kill(getpid(), SIGKILL) }
                    if let failAfter, i == failAfter { throw InjectedFault() }
                    let box: [Double?] = f.box.count == 4 ? f.box.map { Double($0) } : [nil, nil, nil, nil]
                    try db.execute(sql: """
                        INSERT INTO face (person_id, recognizer, recognizer_version, dimension, embedding, source_image,
                                          box_x1, box_y1, box_x2, box_y2, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [pid, recognizer.name, recognizer.version, dim, Self.blob(f.embedding), f.sourceImage,
                                         box[0], box[1], box[2], box[3], now])
                }
                try db.execute(sql: "UPDATE gallery_meta SET value = value + 1 WHERE key = 'revision'")
            }
        }
        guard let p = try people(named: name).first else { throw GalleryError.storage("person '\(name)' missing after commit") }
        return p
    }

    public func remove(person: String) throws -> Bool {
        let name = person.trimmingCharacters(in: .whitespacesAndNewlines)
        return try wrap {
            try pool.write { db in
                try db.execute(sql: "DELETE FROM person WHERE name = ?", arguments: [name])
                let gone = db.changesCount > 0
                if gone { try db.execute(sql: "UPDATE gallery_meta SET value = value + 1 WHERE key = 'revision'") }
                return gone
            }
        }
    }

    public func people() throws -> [GalleryPerson] { try people(named: nil) }

    private func people(named: String?) throws -> [GalleryPerson] {
        try wrap {
            try pool.read { db in
                let filter = named == nil ? "" : "WHERE p.name = ?"
                let rows = try Row.fetchAll(db, sql: """
                    SELECT p.name, p.created_at, p.updated_at, f.recognizer, f.recognizer_version, f.source_image
                    FROM person p LEFT JOIN face f ON f.person_id = p.id \(filter)
                    ORDER BY p.name, f.id
                    """, arguments: named.map { [$0] } ?? [])
                var out: [GalleryPerson] = []
                for r in rows {
                    let name: String = r["name"]
                    if out.last?.name != name {
                        out.append(GalleryPerson(name: name, faces: 0, created_at: GalleryError.timestamp(r["created_at"]),
                                                 updated_at: GalleryError.timestamp(r["updated_at"]),
                                                 recognizer: r["recognizer"] ?? "", recognizer_version: r["recognizer_version"] ?? "",
                                                 images: []))
                    }
                    if let img: String = r["source_image"] {
                        out[out.count - 1].faces += 1
                        out[out.count - 1].images.append(img)
                    }
                }
                return out
            }
        }
    }

    public func revision() throws -> Int64 {
        try wrap { try pool.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM gallery_meta WHERE key = 'revision'") ?? 0 } }
    }

    public func snapshot() throws -> GallerySnapshot {
        try wrap {
            try pool.read { db in
                let revision = try Int64.fetchOne(db, sql: "SELECT value FROM gallery_meta WHERE key = 'revision'") ?? 0
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM face") ?? 0
                guard count > 0, let first = try Row.fetchOne(db, sql: "SELECT recognizer, recognizer_version, dimension FROM face LIMIT 1") else {
                    return GallerySnapshot(revision: revision, recognizer: nil, dimension: 0, people: [], owner: [], matrix: [])
                }
                let dim: Int = first["dimension"]
                let recognizer = RecognizerID(name: first["recognizer"], version: first["recognizer_version"])
                var people: [String] = [], index: [Int64: Int32] = [:]
                for r in try Row.fetchAll(db, sql: "SELECT id, name FROM person ORDER BY name") {
                    index[r["id"]] = Int32(people.count); people.append(r["name"])
                }
                var matrix = [Float](repeating: 0, count: count * dim), owner: [Int32] = []
                owner.reserveCapacity(count)
                let cursor = try Row.fetchCursor(db, sql: "SELECT person_id, embedding FROM face ORDER BY id")
                try matrix.withUnsafeMutableBufferPointer { m in
                    while let r = try cursor.next() {
                        guard owner.count < count else { break }
                        let pid: Int64 = r[0]
                        let row = owner.count
                        try r.withUnsafeData(atIndex: 1) { data in
                            guard let data, data.count == dim * 4 else { throw GalleryError.storage("face of person \(pid): embedding is not \(dim) float32 values") }
                            Self.readBlob(data, into: m.baseAddress! + row * dim, count: dim)
                        }
                        owner.append(index[pid] ?? 0)
                    }
                }
                return GallerySnapshot(revision: revision, recognizer: recognizer, dimension: dim, people: people,
                                       owner: owner, matrix: Array(matrix.prefix(owner.count * dim)))
            }
        }
    }

    /// `values` as little-endian float32 bytes.
    static func blob(_ values: [Float]) -> Data {
        var d = Data(count: values.count * 4)
        d.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        return d
    }

    static func readBlob(_ data: Data, into out: UnsafeMutablePointer<Float>, count: Int) {
        data.withUnsafeBytes { raw in
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
        }
    }

    /// GRDB / SQLite errors as `GalleryError.storage` naming the file; `GalleryError`s pass through.
    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as GalleryError { throw e } catch {
            throw GalleryError.storage("\(location): \(error)")
        }
    }
}
