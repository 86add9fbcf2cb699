import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads a folder of Pascal VOC XML annotations (`<filename>`, `<size>`, `<object>` with `<name>`,
/// `<difficult>`, `<bndbox>` `xmin ymin xmax ymax`).
///
/// Boxes become COCO `x = xmin, y = ymin, w = xmax - xmin, h = ymax - ymin` with `area = w * h` (the usual
/// VOC → COCO conversion); `difficult` becomes `isDifficult`. Images are numbered 1…N in file-name order;
/// categories 1…N in `classNames` order (default: the names found, sorted).
public enum VOCDatasetReader {
    public static func read(_ directory: URL, classNames: [String]? = nil) throws -> GroundTruth {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension.lowercased() == "xml" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw EvalError.unreadable(file: directory.path, reason: error.localizedDescription)
        }
        guard !files.isEmpty else { throw EvalError.unreadable(file: directory.path, reason: "no .xml files") }
        var parsed: [(file: URL, doc: VOCDocument)] = []
        for f in files { parsed.append((f, try VOCDocument.parse(f))) }
        parsed.sort { $0.doc.fileName < $1.doc.fileName }
        let names = classNames ?? Array(Set(parsed.flatMap { $0.doc.objects.map(\.name) })).sorted()
        var categoryID: [String: Int] = [:]
        for (k, n) in names.enumerated() where categoryID[n] == nil { categoryID[n] = k + 1 }
        var images: [EvalImage] = [], anns: [GTAnnotation] = []
        var seen = Set<String>()
        for (i, (file, doc)) in parsed.enumerated() {
            guard seen.insert(doc.fileName).inserted else {
                throw EvalError.malformed(file: file.path, field: "filename", problem: "'\(doc.fileName)' is annotated twice")
            }
            images.append(EvalImage(id: i + 1, fileName: doc.fileName, width: doc.width, height: doc.height))
            for (o, obj) in doc.objects.enumerated() {
                guard let c = categoryID[obj.name] else {
                    throw EvalError.malformed(file: file.path, field: "object[\(o)].name",
                                              problem: "class '\(obj.name)' is not in the names list")
                }
                let w = obj.xmax - obj.xmin, h = obj.ymax - obj.ymin
                anns.append(GTAnnotation(id: anns.count + 1, imageID: i + 1, categoryID: c, x: obj.xmin, y: obj.ymin,
                                         width: w, height: h, isDifficult: obj.difficult))
            }
        }
        return GroundTruth(images: images, categories: names.enumerated().map { EvalCategory(id: $0.offset + 1, name: $0.element) },
                           annotations: anns)
    }
}

/// One parsed VOC XML file.
struct VOCDocument {
    struct Object { var name: String; var difficult: Bool; var xmin, ymin, xmax, ymax: Double }
    var fileName: String
    var width: Int
    var height: Int
    var objects: [Object]

    static func parse(_ url: URL) throws -> VOCDocument {
        guard let parser = XMLParser(contentsOf: url) else {
            throw EvalError.unreadable(file: url.path, reason: "cannot open")
        }
        let collector = Collector()
        parser.delegate = collector
        guard parser.parse(), collector.closed else {
            throw EvalError.unreadable(file: url.path, reason: "not valid XML (\(parser.parserError?.localizedDescription ?? "parse error"))")
        }
        func fail(_ field: String, _ problem: String) -> EvalError { .malformed(file: url.path, field: field, problem: problem) }
        guard let root = collector.root, root.name == "annotation" else { throw fail("annotation", "missing root element") }
        guard let fileName = root.child("filename")?.text, !fileName.isEmpty else { throw fail("filename", "missing") }
        let size = root.child("size")
        func intValue(_ node: Node?, _ field: String) throws -> Int {
            guard let node else { return 0 }
            guard let v = Double(node.text), v >= 0, v == v.rounded() else { throw fail(field, "expected a non-negative integer, got '\(node.text)'") }
            return Int(v)
        }
        let width = try intValue(size?.child("width"), "size.width")
        let height = try intValue(size?.child("height"), "size.height")
        var objects: [Object] = []
        for (i, o) in root.children.filter({ $0.name == "object" }).enumerated() {
            let f = "object[\(i)]"
            guard let name = o.child("name")?.text, !name.isEmpty else { throw fail(f + ".name", "missing") }
            var difficult = false
            if let d = o.child("difficult") {
                guard let v = Int(d.text), v == 0 || v == 1 else { throw fail(f + ".difficult", "expected 0 or 1, got '\(d.text)'") }
                difficult = v == 1
            }
            guard let box = o.child("bndbox") else { throw fail(f + ".bndbox", "missing") }
            var c: [Double] = []
            for k in ["xmin", "ymin", "xmax", "ymax"] {
                guard let t = box.child(k)?.text else { throw fail(f + ".bndbox.\(k)", "missing") }
                guard let v = Double(t), v.isFinite else { throw fail(f + ".bndbox.\(k)", "expected a number, got '\(t)'") }
                c.append(v)
            }
            guard c[2] >= c[0], c[3] >= c[1] else { throw fail(f + ".bndbox", "xmax < xmin or ymax < ymin") }
            objects.append(Object(name: name, difficult: difficult, xmin: c[0], ymin: c[1], xmax: c[2], ymax: c[3]))
        }
        return VOCDocument(fileName: fileName, width: width, height: height, objects: objects)
    }

    /// A minimal element tree.
    final class Node {
        let name: String
        var text = ""
        var children: [Node] = []
        init(name: String) { self.name = name }
        func child(_ n: String) -> Node? { children.first { $0.name == n } }
    }

    final class Collector: NSObject, XMLParserDelegate {
        var root: Node?
        var stack: [Node] = []
        /// True once the root element has been closed (libxml2 may accept a document cut short).
        var closed = false
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let node = Node(name: elementName)
            if let top = stack.last { top.children.append(node) } else { root = node }
            stack.append(node)
        }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            if let top = stack.popLast() { top.text = top.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            if stack.isEmpty { closed = true }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
    }
}
