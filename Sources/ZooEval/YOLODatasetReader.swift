import Foundation
import ZooImage

/// Reads YOLO/darknet labels: one `.txt` per image with lines `class cx cy w h` (centre and size relative to the
/// image), a names file (one class per line), and the images themselves for their pixel sizes (header only).
///
/// The images are those in `imagesDirectory` (default: the labels folder, if it holds images), `.jpg .jpeg .png`,
/// sized from their headers as stored (no EXIF orientation, as darknet). An image without a label file has no
/// objects; a label file without an image is an error. Images are numbered 1…N in file-name order, categories
/// 1…N in names-file order. Boxes become COCO `x = (cx - w/2)·W, y = (cy - h/2)·H, w·W, h·H`, `area = w·h`.
public enum YOLODatasetReader {
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    public static func read(labels: URL, names namesFile: URL? = nil, images imagesDirectory: URL?) throws -> GroundTruth {
        let fm = FileManager.default
        func list(_ dir: URL) throws -> [URL] {
            do { return try fm.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil) } catch {
                throw EvalError.unreadable(file: dir.path, reason: error.localizedDescription)
            }
        }
        let namesURL = try namesFile ?? findNames(near: labels)
        let names = try readNames(namesURL)
        let labelFiles = try list(labels).filter { $0.pathExtension == "txt" && !["classes.txt", "train.txt", "valid.txt", "test.txt"].contains($0.lastPathComponent) }
        // Darknet layouts keep the images beside the labels: use them when no image folder is given.
        let besideLabels = try list(labels).contains { imageExtensions.contains($0.pathExtension.lowercased()) }
        guard let imagesDirectory = imagesDirectory ?? (besideLabels ? labels : nil) else {
            throw EvalError.invalidOption("YOLO labels need the images for their sizes: pass --images DIR")
        }
        let imageFiles = try list(imagesDirectory).filter { imageExtensions.contains($0.pathExtension.lowercased()) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        try EvalLimits.checkCount(imageFiles.count, limit: EvalLimits.maxImages, file: imagesDirectory.path, field: "images")
        var imageByStem: [String: URL] = [:]
        for f in imageFiles { imageByStem[f.deletingPathExtension().lastPathComponent] = f }
        var labelByStem: [String: URL] = [:]
        for l in labelFiles {
            let stem = l.deletingPathExtension().lastPathComponent
            guard imageByStem[stem] != nil else {
                throw EvalError.mismatch("\(l.path): no image named \(stem).* in \(imagesDirectory.path)")
            }
            labelByStem[stem] = l
        }
        var images: [EvalImage] = [], anns: [GTAnnotation] = []
        for (i, f) in imageFiles.enumerated() {
            let (w, h) = try imageSize(f)
            let id = i + 1
            images.append(EvalImage(id: id, fileName: f.lastPathComponent, width: w, height: h))
            guard let label = labelByStem[f.deletingPathExtension().lastPathComponent] else { continue }
            try EvalLimits.checkFileSize(label, limit: EvalLimits.maxTextBytes, kind: "label")
            let text: String
            do { text = try String(contentsOf: label, encoding: .utf8) } catch {
                throw EvalError.unreadable(file: label.path, reason: error.localizedDescription)
            }
            for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if parts.isEmpty { continue }
                let field = "line \(n + 1)"
                guard parts.count == 5 else {
                    throw EvalError.malformed(file: label.path, field: field, problem: "expected 'class cx cy w h', got \(parts.count) values")
                }
                guard let c = Int(parts[0]), c >= 0, c < names.count else {
                    throw EvalError.malformed(file: label.path, field: field + " class",
                                              problem: "'\(parts[0])' is not a class index in 0..<\(names.count)")
                }
                var v = [Double]()
                for (j, p) in parts[1...].enumerated() {
                    guard let x = Double(p), x.isFinite else {
                        throw EvalError.malformed(file: label.path, field: field + " " + ["cx", "cy", "w", "h"][j], problem: "'\(p)' is not a number")
                    }
                    v.append(x)
                }
                guard v[2] >= 0, v[3] >= 0 else {
                    throw EvalError.malformed(file: label.path, field: field, problem: "negative width or height")
                }
                try EvalLimits.checkCount(anns.count + 1, limit: EvalLimits.maxAnnotations, file: label.path, field: field)
                let W = Double(w), H = Double(h)
                anns.append(GTAnnotation(id: anns.count + 1, imageID: id, categoryID: c + 1,
                                         x: (v[0] - v[2] / 2) * W, y: (v[1] - v[3] / 2) * H,
                                         width: v[2] * W, height: v[3] * H))
            }
        }
        return GroundTruth(images: images,
                           categories: names.enumerated().map { EvalCategory(id: $0.offset + 1, name: $0.element) },
                           annotations: anns)
    }

    /// `(width, height)` from the image header (ZooImage; no decoding).
    static func imageSize(_ url: URL) throws -> (Int, Int) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw EvalError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let s = try ImageDecoder.size(of: data, name: url.path)
        return (s.width, s.height)
    }

    /// Class names, one per line (blank lines skipped).
    public static func readNames(_ url: URL) throws -> [String] {
        try EvalLimits.checkFileSize(url, limit: EvalLimits.maxTextBytes, kind: "names")
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw EvalError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw EvalError.malformed(file: url.path, field: "names", problem: "no class names") }
        try EvalLimits.checkCount(names.count, limit: EvalLimits.maxCategories, file: url.path, field: "names")
        return names
    }

    /// A `*.names` or `classes.txt` file in the labels folder or its parent.
    static func findNames(near labels: URL) throws -> URL {
        for dir in [labels, labels.deletingLastPathComponent()] {
            let files = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []
            if let f = files.filter({ $0.pathExtension == "names" || $0.lastPathComponent == "classes.txt" })
                .sorted(by: { $0.lastPathComponent < $1.lastPathComponent }).first { return f }
        }
        throw EvalError.invalidOption("no class names file (*.names or classes.txt) in \(labels.path) or its parent: pass --names FILE")
    }
}
