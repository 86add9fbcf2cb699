import Foundation

/// Remembers which weight files were found to match their pinned sha256, keyed by path and identified by size,
/// modification time and inode, so `WeightsStore.require` hashes a pinned file once, not on every start.
///
/// Stored as JSON (`{path: {size, mtime, inode, sha256}}`) in `$VZ_CACHE_DIR`, else `$XDG_CACHE_HOME/vz`, else
/// `~/.cache/vz`, file `verified-weights.json`, replaced atomically. An unreadable or corrupt cache is ignored
/// (everything is hashed again); a cache that cannot be written costs only time.
final class WeightsPinCache: @unchecked Sendable {
    struct Entry: Codable, Equatable { var size: UInt64; var mtime: Double; var inode: UInt64; var sha256: String }

    let url: URL
    private let lock = NSLock()
    /// Files hashed by this process (tests: a second `require` must not hash again).
    private(set) var hashes = 0

    init(url: URL) { self.url = url }

    static func defaultURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let dir: URL
        if let d = environment["VZ_CACHE_DIR"], !d.isEmpty { dir = URL(fileURLWithPath: d) }
        else if let x = environment["XDG_CACHE_HOME"], !x.isEmpty { dir = URL(fileURLWithPath: x).appendingPathComponent("vz") }
        else { dir = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/vz") }
        return dir.appendingPathComponent("verified-weights.json")
    }

    nonisolated(unsafe) static var shared = WeightsPinCache(url: defaultURL())

    /// Size, mtime and inode of `file` (nil: cannot stat).
    static func identity(of file: URL) -> (size: UInt64, mtime: Double, inode: UInt64)? {
        var st = stat()
        guard stat(file.path, &st) == 0 else { return nil }
        let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        return (UInt64(st.st_size), mtime, UInt64(st.st_ino))
    }

    /// Throws `WeightsError.corrupted` unless `file` hashes to `expected` (or a cached verdict for this exact
    /// file says it did).
    func check(_ file: URL, expected: String, model: String, hint: String) throws {
        guard let id = Self.identity(of: file) else { return }   // unreadable files fail in the loader, naming the file
        let key = file.standardizedFileURL.path
        lock.lock(); defer { lock.unlock() }
        var table = load()
        if let e = table[key], e.size == id.size, e.mtime == id.mtime, e.inode == id.inode, e.sha256 == expected { return }
        hashes += 1
        let actual = try WeightsSHA256.hex(ofFile: file)
        guard actual == expected else {
            throw WeightsError.corrupted(model: model, file: file.path, expected: expected, actual: actual, hint: hint)
        }
        table[key] = Entry(size: id.size, mtime: id.mtime, inode: id.inode, sha256: actual)
        save(table)
    }

    private func load() -> [String: Entry] {
        guard let data = try? Data(contentsOf: url), data.count < 16 << 20,
              let t = try? JSONDecoder().decode([String: Entry].self, from: data) else { return [:] }
        return t
    }

    private func save(_ table: [String: Entry]) {
        guard let data = try? JSONEncoder().encode(table) else { return }
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: url, options: .atomic)
    }
}
