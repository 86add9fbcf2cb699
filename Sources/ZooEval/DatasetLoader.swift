import Foundation

/// Annotation formats `vz eval` reads.
public enum DatasetFormat: String, CaseIterable, Sendable {
    case coco, yolo, voc

    /// The format of `url`: a `.json` file is COCO, a folder of `.xml` files VOC, a folder of `.txt` files YOLO.
    public static func detect(_ url: URL) throws -> DatasetFormat {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw EvalError.unreadable(file: url.path, reason: "no such file or folder")
        }
        if !isDir.boolValue { return .coco }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        if files.contains(where: { $0.lowercased().hasSuffix(".xml") }) { return .voc }
        if files.contains(where: { $0.hasSuffix(".txt") }) { return .yolo }
        throw EvalError.invalidOption("\(url.path): cannot tell the annotation format (no .xml or .txt files): pass --format")
    }
}

/// Reads a dataset in any of the supported formats.
public enum DatasetLoader {
    /// - Parameters:
    ///   - names: class names file (YOLO: required unless found beside the labels; VOC: fixes category order).
    ///   - images: image folder (YOLO: required, for image sizes).
    public static func load(_ url: URL, format: DatasetFormat? = nil, images: URL? = nil, names: URL? = nil) throws -> GroundTruth {
        switch try format ?? DatasetFormat.detect(url) {
        case .coco: return try COCODatasetReader.read(url)
        case .voc: return try VOCDatasetReader.read(url, classNames: try names.map(YOLODatasetReader.readNames))
        case .yolo: return try YOLODatasetReader.read(labels: url, names: names, images: images)
        }
    }
}
