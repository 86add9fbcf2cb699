import Foundation

/// Limits on what an annotation or results file may make `vz eval` allocate or recurse into. Each is checked
/// before the allocation it bounds, and a file over a limit is an error naming the file, the field (or line)
/// and the limit — never a crash. The values are far above real datasets (COCO train2017: 118,287 images,
/// 860,001 annotations, 80 categories, 448 MB; a VOC annotation: ~1 kB, depth 4, ~50 elements).
public enum EvalLimits {
    /// Largest JSON file (COCO instances or results) read, in bytes.
    public static let maxJSONBytes = 2 << 30
    /// Deepest JSON nesting (COCO needs 4: top level → list → object → bbox).
    public static let maxJSONDepth = 64
    /// Most JSON values (numbers, strings, objects, …) in one file; bounds the parsed tree before it is built.
    public static let maxJSONValues = 200_000_000
    /// Most images, categories and annotations (or results) in one file.
    public static let maxImages = 10_000_000
    public static let maxCategories = 100_000
    public static let maxAnnotations = 50_000_000

    /// Largest VOC XML file, in bytes.
    public static let maxXMLBytes = 16 << 20
    /// Deepest VOC element nesting (a VOC file needs 5: annotation → object → part → bndbox → xmin).
    public static let maxXMLDepth = 64
    /// Most elements in one VOC file.
    public static let maxXMLElements = 100_000
    /// Most attributes on one VOC element.
    public static let maxXMLAttributes = 64
    /// Most characters of text in one VOC file (all elements together; also stops entity expansion).
    public static let maxXMLText = 4 << 20
    /// Most XML files in one VOC folder.
    public static let maxXMLFiles = 10_000_000

    /// Largest YOLO label or names file, in bytes.
    public static let maxTextBytes = 64 << 20

    /// Checks a file's size before it is read; a folder, FIFO or device is not a regular file.
    static func checkFileSize(_ url: URL, limit: Int, kind: String) throws {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw EvalError.unreadable(file: url.path, reason: reason)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw EvalError.unreadable(file: url.path, reason: (st.st_mode & S_IFMT) == S_IFDIR ? "is a folder, not a \(kind) file" : "not a regular file")
        }
        guard Int(st.st_size) <= limit else {
            throw EvalError.unreadable(file: url.path, reason: "\(st.st_size) bytes is over the \(limit >> 20) MiB limit for a \(kind) file")
        }
    }

    /// Checks a count read from a file against its limit before anything is allocated for it.
    static func checkCount(_ count: Int, limit: Int, file: String, field: String) throws {
        guard count <= limit else {
            throw EvalError.malformed(file: file, field: field, problem: "\(count) entries is over the limit of \(limit)")
        }
    }
}
