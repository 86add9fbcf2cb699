import Foundation
import ZooImage
import ZooPipelines
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's identity (device, inode): what "the same file" means, whatever path, symlink or hard link reaches it.
struct FileID: Hashable {
    let device: UInt64, inode: UInt64

    /// The identity of the file at `path` (symlinks followed), or nil when it cannot be stat'ed.
    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev); inode = UInt64(st.st_ino)
    }
}

/// The image inputs of `vz detect` and `vz faces`: every command-line source expanded into images (folders
/// walked recursively, sorted), and every problem with a source as one message naming it.
///
/// Sources: files, folders, quoted glob patterns (`'photos/*.jpg'`, `'data/**/*.png'`: `*`, `?`, `[...]`, and
/// `**` for any depth; expanded here, sorted), `-` (one image's bytes on stdin) and `http://` / `https://` URLs
/// (fetched when processed: at most `urlMaxBytes` bytes and `urlTimeout` seconds).
///
/// Rules: a file named on the command line is read whatever its extension; in folders only files ending in
/// .jpg/.jpeg/.jpe/.jfif/.png/.webp/.bmp/.dib are taken and every other file is listed in `skipped` (reported,
/// not silently dropped); symlinked files are followed, symlinked folders are not descended (no loops); the
/// `--save` folders are skipped when they lie inside an input folder; a folder without images is a problem ("no
/// images found in DIR"), so is a pattern matching nothing; a path that cannot be used says why (no such file or
/// directory, symlink loop, permission denied, not a regular file).
struct ImageInputs {
    /// One image file.
    struct Item {
        /// The path to read, as given on the command line (plus the walked components).
        var path: String
        /// Which command-line path it came from.
        var root: Int
        /// Path components below that root (empty for a file named directly).
        var components: [String]
        /// Where the bytes come from.
        var source: Source = .file
        var url: URL { URL(fileURLWithPath: path) }

        /// The name outputs are named after: the file name, `stdin`, or the URL's last path component.
        var fileName: String {
            switch source {
            case .file: return components.last ?? (path as NSString).lastPathComponent
            case .stdin: return "stdin"
            case .url:
                let last = URL(string: path)?.lastPathComponent ?? ""
                return last.isEmpty || last == "/" ? "download" : last
            }
        }
    }

    enum Source { case file, stdin, url }

    /// Largest image fetched from a URL (bytes) and the whole transfer's time limit (seconds).
    static let urlMaxBytes = 200 << 20
    static let urlTimeout = 30.0

    /// A command-line path: a file or a folder.
    struct Root {
        var path: String
        var isDirectory: Bool
        /// The canonical path (symlinks resolved), when it exists.
        var real: String?
    }

    static let extensions: Set<String> = ImageFormat.readableExtensions

    var roots: [Root] = []
    var items: [Item] = []
    /// "PATH: problem" messages, in command-line order.
    var problems: [String] = []
    /// Files found in input folders that are not taken (not an image extension), in walk order.
    var skipped: [String] = []
    /// The identities of every input file (what `--save` must never write onto).
    var fileIDs: [FileID: String] = [:]

    /// Expands `paths`; folders whose canonical path is in `skipping` (the output folders) are not entered.
    init(_ paths: [String], skipping: Set<String> = []) {
        var stdinTaken = false
        for p in paths {
            if p == "-" {
                if stdinTaken { problems.append("-: standard input can be read once only") } else {
                    stdinTaken = true
                    roots.append(Root(path: p, isDirectory: false, real: nil))
                    items.append(Item(path: "stdin", root: roots.count - 1, components: [], source: .stdin))
                }
                continue
            }
            let lower = p.lowercased()
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
                roots.append(Root(path: p, isDirectory: false, real: nil))
                if URL(string: p)?.host == nil { problems.append("\(p): not a valid URL") } else {
                    items.append(Item(path: p, root: roots.count - 1, components: [], source: .url))
                }
                continue
            }
            var st = stat()
            if stat(p, &st) != 0, Self.isPattern(p) {
                let matches = Self.expand(pattern: p)
                if matches.isEmpty { problems.append("\(p): no files match this pattern") }
                for m in matches { add(m, skipping: skipping) }
                continue
            }
            add(p, skipping: skipping)
        }
        for item in items where item.source == .file {
            if let id = FileID(path: item.path), fileIDs[id] == nil { fileIDs[id] = item.path }
        }
    }

    private mutating func add(_ p: String, skipping: Set<String>) {
        var st = stat()
        guard stat(p, &st) == 0 else {
            problems.append("\(p): \(ImageDecoder.errnoText(errno))")
            roots.append(Root(path: p, isDirectory: false, real: nil))
            return
        }
        let isDir = st.st_mode & S_IFMT == S_IFDIR
        roots.append(Root(path: p, isDirectory: isDir, real: Self.realPath(p)))
        if !isDir {
            items.append(Item(path: p, root: roots.count - 1, components: []))
            return
        }
        let before = items.count, problemsBefore = problems.count
        walk(p, root: roots.count - 1, components: [], skipping: skipping)
        if items.count == before && problems.count == problemsBefore {
            problems.append("no images found in \(p)")
        }
    }

    /// The bytes of `item`: the file (`ImageDecoder.readFile`: regular files only, at most `maxBytes`), stdin
    /// (at most `maxBytes`), or the URL (at most `min(maxBytes, urlMaxBytes)` within `urlTimeout`).
    func read(_ item: Item, maxBytes: Int) throws -> Data {
        switch item.source {
        case .file:
            return try ImageDecoder.readFile(item.url, maxBytes: maxBytes)
        case .stdin:
            var data = Data()
            while let chunk = try FileHandle.standardInput.read(upToCount: 1 << 20), !chunk.isEmpty {
                data.append(chunk)
                if data.count > maxBytes { throw InputError(description: "stdin: more than \(maxBytes) bytes") }
            }
            guard !data.isEmpty else { throw InputError(description: "stdin: no bytes (pipe an image into `-`)") }
            return data
        case .url:
            return try HTTPFetch.data(URL(string: item.path)!, maxBytes: min(maxBytes, Self.urlMaxBytes), timeout: Self.urlTimeout)
        }
    }

    /// `skipped 3 files that are not images (.jpg .jpeg .jpe .jfif .png .webp .bmp .dib): a/notes.txt, …`, or nil.
    func skippedLine(listing limit: Int = 5) -> String? {
        guard !skipped.isEmpty else { return nil }
        let shown = skipped.prefix(limit).joined(separator: ", ") + (skipped.count > limit ? ", … (\(skipped.count - limit) more)" : "")
        return "skipped \(skipped.count) file\(skipped.count == 1 ? "" : "s") in input folders that \(skipped.count == 1 ? "is" : "are") not "
            + "images (.\(Self.extensions.sorted().joined(separator: " ."))): \(shown)"
    }

    /// Whether `p` holds glob metacharacters.
    static func isPattern(_ p: String) -> Bool { p.contains("*") || p.contains("?") || p.contains("[") }

    /// The paths matching `pattern`, sorted: `*`, `?` and `[...]` within one path component (fnmatch with
    /// FNM_PATHNAME), `**` as a whole component for zero or more folders. Hidden names match only an explicit dot.
    static func expand(pattern: String) -> [String] {
        let absolute = pattern.hasPrefix("/")
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var results: [String] = []
        func list(_ dir: String) -> [String] {
            guard let d = opendir(dir.isEmpty ? "." : dir) else { return [] }
            var names: [String] = []
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(d)
            return names.sorted()
        }
        func join(_ dir: String, _ name: String) -> String { dir.isEmpty ? name : (dir == "/" ? "/" + name : dir + "/" + name) }
        func isDir(_ path: String) -> Bool {
            var st = stat()
            return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
        }
        func isLink(_ path: String) -> Bool {
            var st = stat()
            return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
        }
        var visited = 0
        func match(_ dir: String, _ i: Int) {
            visited += 1
            guard visited < 1_000_000 else { return }   // bounded: a pattern over a huge tree stops
            if i == parts.count { results.append(dir); return }
            let part = parts[i]
            if part == "**" {
                match(dir, i + 1)   // zero folders
                for name in list(dir) where !name.hasPrefix(".") {
                    let path = join(dir, name)
                    if isDir(path) && !isLink(path) { match(path, i) }
                }
                return
            }
            if !isPattern(part) {
                let path = join(dir, part)
                if i == parts.count - 1 ? access(path, F_OK) == 0 : isDir(path) { match(path, i + 1) }
                return
            }
            for name in list(dir) where fnmatch(part, name, FNM_PERIOD) == 0 {
                let path = join(dir, name)
                if i == parts.count - 1 || isDir(path) { match(path, i + 1) }
            }
        }
        match(absolute ? "/" : "", 0)
        return Array(Set(results)).sorted()
    }

    private mutating func walk(_ dir: String, root: Int, components: [String], skipping: Set<String>) {
        guard let d = opendir(dir) else {
            problems.append("\(dir): cannot list folder: \(ImageDecoder.errnoText(errno))")
            return
        }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(d)
        for name in names.sorted() {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }   // vanished while listing
            let isImageName = Self.extensions.contains((name as NSString).pathExtension.lowercased())
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                if let real = Self.realPath(path), skipping.contains(real) { continue }
                walk(path, root: root, components: components + [name], skipping: skipping)
            case S_IFREG:
                if isImageName { items.append(Item(path: path, root: root, components: components + [name])) }
                else if !name.hasPrefix(".") { skipped.append(path) }
            case S_IFLNK:
                guard isImageName else { continue }   // symlinked folders are not descended
                var target = stat()
                if stat(path, &target) != 0 {
                    problems.append("\(path): \(ImageDecoder.errnoText(errno))")
                } else if target.st_mode & S_IFMT == S_IFREG {
                    items.append(Item(path: path, root: root, components: components + [name]))
                } else if target.st_mode & S_IFMT != S_IFDIR {
                    problems.append("\(path): not a regular file")
                }
            default:
                if isImageName { problems.append("\(path): not a regular file") }
            }
        }
    }

    /// The canonical absolute path (symlinks, `.` and `..` resolved), or nil if `path` does not exist.
    static func realPath(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }
}

/// A source that could not be read (stdin, URL), named.
struct InputError: Error, CustomStringConvertible {
    let description: String
}

/// Why a `--save` target was refused.
struct SaveError: Error, CustomStringConvertible {
    let description: String
}

/// An output folder (`--save`, `--save-crops`): where each input's outputs go, and the writes themselves.
///
/// Layout (the rule documented in `--help`): an input folder keeps its name and its tree below it, a file named
/// on the command line goes to the top level: `vz detect b/imgs c/imgs x/p.jpg --save out` writes
/// out/imgs/…, out/imgs-2/… and out/p.jpg. Whenever two inputs would get the same name (two folders called
/// imgs, or a.jpe and a.png, which are both written as PNG) the later one gets a `-2`, `-3`, … suffix, so no
/// output is ever shared. A write never goes onto an input file (compared by device and inode, so hard links and
/// symlinks count), never outside the folder (a symlinked subfolder pointing elsewhere is refused), and replaces
/// the destination by rename (a symlink or hard link at the destination is replaced, never written through).
final class OutputFolder {
    /// As given on the command line (for messages).
    let display: String
    /// Canonical path.
    let real: String
    private let inputs: [FileID: String]
    private var claimed: Set<String> = []
    private var temporaryCounter = 0
    private(set) var written = 0

    /// Creates the folder if needed. Refuses an existing non-folder and an input folder itself.
    init(_ path: String, inputRoots: [ImageInputs.Root], inputs: [FileID: String], option: String) throws {
        display = path
        self.inputs = inputs
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw SaveError(description: "\(option) \(path): " + (exists && !isDir.boolValue ? "exists and is not a folder"
                                                                  : "cannot create the folder: \(OutputFolder.describe(error))"))
        }
        guard let r = ImageInputs.realPath(path) else { throw SaveError(description: "\(option) \(path): cannot resolve the folder") }
        real = r
        if let root = inputRoots.first(where: { $0.isDirectory && $0.real == r }) {
            throw SaveError(description: "\(option) \(path): is the input folder \(root.path); outputs would mix with the inputs "
                            + "(choose another folder; a subfolder of it is fine, it is skipped when reading)")
        }
    }

    /// The canonical path of `path` before it exists (creates nothing).
    static func canonical(_ path: String) -> String {
        if let r = ImageInputs.realPath(path) { return r }
        let abs = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (abs as NSString).standardizingPath
    }

    /// Unique output stems (relative paths without extension), one per item, following the layout rule.
    static func stems(for inputs: ImageInputs) -> [String] {
        var rootNames: [Int: String] = [:], topLevel: Set<String> = [], used: Set<String> = []
        func unique(_ name: String, in set: inout Set<String>) -> String {
            var candidate = name, n = 2
            while set.contains(candidate) { candidate = "\(name)-\(n)"; n += 1 }
            set.insert(candidate)
            return candidate
        }
        for (i, root) in inputs.roots.enumerated() where root.isDirectory {
            var name = ((root.real ?? root.path) as NSString).lastPathComponent
            if name.isEmpty || name == "/" || name == "." || name == ".." { name = "root" }
            rootNames[i] = unique(name, in: &topLevel)
        }
        return inputs.items.map { item in
            let file = item.fileName
            let stem = (file as NSString).deletingPathExtension.isEmpty ? file : (file as NSString).deletingPathExtension
            let folders = item.components.isEmpty ? [] : [rootNames[item.root] ?? "root"] + item.components.dropLast()
            var stemPath = (folders + [stem]).joined(separator: "/")
            if folders.isEmpty {   // a file at the top level: must not collide with a folder's name either
                stemPath = unique(stem, in: &topLevel)
            }
            return unique(stemPath, in: &used)
        }
    }

    /// The extension an annotated copy is written with: the input's if .png/.jpg/.jpeg, else png.
    static func outputExtension(of path: String) -> String {
        let ext = (path as NSString).pathExtension.lowercased()
        return ext == "png" || ext == "jpg" || ext == "jpeg" ? ext : "png"
    }

    /// Reserves `relative` (adding `-2`, `-3`, … before the extension if it is already taken in this run).
    func claim(_ relative: String) -> String {
        let ext = (relative as NSString).pathExtension
        let base = (relative as NSString).deletingPathExtension
        var candidate = relative, n = 2
        while claimed.contains(candidate) { candidate = "\(base)-\(n).\(ext)"; n += 1 }
        claimed.insert(candidate)
        return candidate
    }

    /// Throws if writing `relative` would overwrite an input or leave the folder (checks what exists now).
    func check(_ relative: String) throws {
        let full = real + "/" + relative
        if let id = FileID(path: full), let input = inputs[id] {
            throw SaveError(description: "\(display)/\(relative) would overwrite the input image \(input)")
        }
        // The deepest existing ancestor must resolve inside the folder (a symlinked subfolder could point anywhere).
        var dir = (full as NSString).deletingLastPathComponent
        while ImageInputs.realPath(dir) == nil && dir.count > real.count { dir = (dir as NSString).deletingLastPathComponent }
        if let r = ImageInputs.realPath(dir), r != real && !r.hasPrefix(real + "/") {
            throw SaveError(description: "\(dir) resolves to \(r), outside the output folder \(display); not written")
        }
    }

    /// Writes `image` to `relative` (already claimed): checks, writes a temporary file beside it, renames it
    /// into place. Returns the path written (the folder as given + `relative`).
    @discardableResult
    func write(_ image: Image, to relative: String) throws -> String {
        try place(relative) { try ImageEncoder.write(image, to: URL(fileURLWithPath: $0)) }
    }

    /// Writes `data` (a label file, a results file) to `relative` with the same checks and rename as images.
    @discardableResult
    func write(_ data: Data, to relative: String) throws -> String {
        try place(relative) { path in
            guard FileManager.default.createFile(atPath: path, contents: data) else {
                throw SaveError(description: "\(path): cannot write: \(ImageDecoder.errnoText(errno))")
            }
        }
    }

    private func place(_ relative: String, produce: (String) throws -> Void) throws -> String {
        try check(relative)
        let full = real + "/" + relative
        let parent = (full as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
            throw SaveError(description: "\(parent): cannot create the folder: \(OutputFolder.describe(error))")
        }
        try check(relative)   // again, now that the folders exist
        temporaryCounter += 1
        let ext = (relative as NSString).pathExtension
        let temporary = parent + "/.vz-\(getpid())-\(temporaryCounter).tmp.\(ext)"
        do { try produce(temporary) } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, full) == 0 else {
            let e = errno
            unlink(temporary)
            throw SaveError(description: "\(full): cannot write: \(ImageDecoder.errnoText(e))")
        }
        written += 1
        return (display.hasSuffix("/") ? display : display + "/") + relative
    }

    /// Removes `<stem>-face-<i>.png` files with `i >= count` left by an earlier run (regular files that are not inputs).
    func removeStaleCrops(stem: String, keeping count: Int) {
        let full = real + "/" + stem
        let dir = (full as NSString).deletingLastPathComponent, prefix = (full as NSString).lastPathComponent + "-face-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".png") {
            let middle = name.dropFirst(prefix.count).dropLast(4)
            guard let i = Int(middle), String(i) == middle, i >= count else { continue }
            let path = dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, let id = FileID(path: path), inputs[id] == nil else { continue }
            unlink(path)
        }
    }

    /// A Foundation error as the system's text, never a domain and code.
    static func describe(_ error: Error) -> String {
        if let e = error as? ImageError { return e.description }
        if let e = error as? SaveError { return e.description }
        if let e = error as? InputError { return e.description }
        if let e = error as? HTTPFetch.FetchError { return e.description }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return ImageDecoder.errnoText(Int32(ns.code)) }
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return ImageDecoder.errnoText(Int32(u.code))
        }
        switch ns.code {
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
        case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on device"
        case NSFileWriteFileExistsError: return "a file is in the way"
        case NSFileReadCorruptFileError: return "not valid text (corrupt or wrong encoding)"
        default: return "input/output error"
        }
    }
}

/// Reading and writing the other files the commands take (CSV, JSON reports) with messages naming the path and
/// the cause; reads refuse folders, FIFOs and devices before reading (no hang) and files over `maxBytes`.
enum CLIFiles {
    static func readText(_ path: String, maxBytes: Int = 256 << 20) throws -> String {
        let data: Data
        do { data = try ImageDecoder.readFile(URL(fileURLWithPath: path), maxBytes: maxBytes) } catch let e as ImageError {
            throw SaveError(description: "\(path): \(cause(e))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw SaveError(description: "\(path): not UTF-8 text") }
        return text
    }

    static func write(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw SaveError(description: "\(path): cannot write: \(OutputFolder.describe(error))")
        }
    }

    /// The cause of an ImageError for a non-image file ("is a directory", "not a regular file", …).
    static func cause(_ e: ImageError) -> String {
        switch e.kind {
        case .isDirectory: return "is a directory"
        case .notAFile: return "not a regular file"
        case .empty: return "empty (0 bytes)"
        case .unreadable(let why): return why
        default: return e.description
        }
    }
}
