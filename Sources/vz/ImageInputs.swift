import Foundation
import ZooImage
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

/// The image inputs of `vz detect` and `vz faces`: every command-line path expanded into image files (folders
/// walked recursively, sorted), and every problem with a path as one message naming it.
///
/// Rules: a file named on the command line is read whatever its extension; in folders only files ending in
/// .jpg/.jpeg/.jpe/.jfif/.png are taken; symlinked files are followed, symlinked folders are not descended (no
/// loops); the `--save` folders are skipped when they lie inside an input folder; a folder without images is a
/// problem ("no images found in DIR"); a path that cannot be used says why (no such file or directory, symlink
/// loop, permission denied, not a regular file).
struct ImageInputs {
    /// One image file.
    struct Item {
        /// The path to read, as given on the command line (plus the walked components).
        var path: String
        /// Which command-line path it came from.
        var root: Int
        /// Path components below that root (empty for a file named directly).
        var components: [String]
        var url: URL { URL(fileURLWithPath: path) }
    }

    /// A command-line path: a file or a folder.
    struct Root {
        var path: String
        var isDirectory: Bool
        /// The canonical path (symlinks resolved), when it exists.
        var real: String?
    }

    static let extensions: Set<String> = ["jpg", "jpeg", "png", "jpe", "jfif"]

    var roots: [Root] = []
    var items: [Item] = []
    /// "PATH: problem" messages, in command-line order.
    var problems: [String] = []
    /// The identities of every input file (what `--save` must never write onto).
    var fileIDs: [FileID: String] = [:]

    /// Expands `paths`; folders whose canonical path is in `skipping` (the output folders) are not entered.
    init(_ paths: [String], skipping: Set<String> = []) {
        for p in paths {
            var st = stat()
            guard stat(p, &st) == 0 else {
                problems.append("\(p): \(ImageDecoder.errnoText(errno))")
                roots.append(Root(path: p, isDirectory: false, real: nil))
                continue
            }
            let isDir = st.st_mode & S_IFMT == S_IFDIR
            roots.append(Root(path: p, isDirectory: isDir, real: Self.realPath(p)))
            if !isDir {
                items.append(Item(path: p, root: roots.count - 1, components: []))
                continue
            }
            let before = items.count, problemsBefore = problems.count
            walk(p, root: roots.count - 1, components: [], skipping: skipping)
            if items.count == before && problems.count == problemsBefore {
                problems.append("no images found in \(p)")
            }
        }
        for item in items { if let id = FileID(path: item.path), fileIDs[id] == nil { fileIDs[id] = item.path } }
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
            let file = item.components.last ?? (item.path as NSString).lastPathComponent
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
        do { try ImageEncoder.write(image, to: URL(fileURLWithPath: temporary)) } catch {
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
