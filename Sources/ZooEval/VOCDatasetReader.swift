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
        try EvalLimits.checkCount(files.count, limit: EvalLimits.maxXMLFiles, file: directory.path, field: "*.xml")
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

    /// Parses one file. Bounded (`EvalLimits`: file size, element depth and count, attributes, text), so a
    /// hostile file cannot exhaust the stack or memory; XML syntax errors are described in words with their
    /// line and column.
    /// Offset of the first byte of `data` that is not part of a valid UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        var parser = Unicode.UTF8.ForwardParser(), bytes = data.makeIterator(), offset = 0
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let scalar): offset += scalar.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }

    /// Offset of the first processing instruction without data (`<?name?>`, `<?name   ?>`), or nil.
    ///
    /// libxml2 hands such an instruction to its callback with a NULL data pointer, and swift-corelibs-foundation's
    /// `XMLParser` calls `strlen` on it (SIGSEGV in `_NSXMLParserProcessingInstruction`; found by
    /// `scripts/fuzz.sh voc-xml`). VOC annotations hold no processing instructions, so such a file is refused.
    static func firstDatalessProcessingInstruction(_ data: Data) -> Int? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int? in
            let b = raw.bindMemory(to: UInt8.self), n = b.count
            func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
            var i = 0
            while i + 1 < n {
                guard b[i] == 0x3C, b[i + 1] == 0x3F else { i += 1; continue }   // "<?"
                var j = i + 2
                while j < n, !blank(b[j]), !(b[j] == 0x3F && j + 1 < n && b[j + 1] == 0x3E) { j += 1 }
                while j < n, blank(b[j]) { j += 1 }
                if j + 1 < n, b[j] == 0x3F, b[j + 1] == 0x3E { return i }        // "?>" right after the target
                i += 2
            }
            return nil
        }
    }

    static func parse(_ url: URL) throws -> VOCDocument {
        try EvalLimits.checkFileSize(url, limit: EvalLimits.maxXMLBytes, kind: "XML")
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EvalError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        // swift-corelibs-foundation's XMLParser traps (SIGILL in _NSXMLParserStartElementNs) on an element name
        // that is not valid UTF-8 (found by `scripts/fuzz.sh voc-xml`), so the bytes are checked before it sees them.
        if let bad = Self.firstInvalidUTF8(data) {
            let line = 1 + data.prefix(bad).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw EvalError.unreadable(file: url.path, reason: "not valid UTF-8 at byte \(bad) (line \(line))")
        }
        if let pi = Self.firstDatalessProcessingInstruction(data) {
            let line = 1 + data.prefix(pi).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw EvalError.unreadable(file: url.path, reason: "a processing instruction without data at byte \(pi) (line \(line)): not a VOC annotation")
        }
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        let collector = Collector()
        parser.delegate = collector
        let ok = parser.parse()
        if let limit = collector.limitExceeded {
            throw EvalError.unreadable(file: url.path, reason: "\(limit) (line \(collector.limitLine))")
        }
        // `parse()` may return true after an error (swift-corelibs-foundation): the first error reported counts.
        if let e = collector.firstError ?? (ok ? nil : (parser.parserError as NSError?).map { ($0.code, parser.lineNumber, parser.columnNumber) }) {
            let reason = e.code == 5 ? (collector.closed ? "extra content after the root element" : "the file ends inside an element")
                                     : Self.describeXMLError(e.code)
            let place = e.line > 0 ? " (line \(e.line), column \(e.column))" : ""
            throw EvalError.unreadable(file: url.path, reason: "not valid XML: \(reason)\(place)")
        }
        guard collector.closed else {
            throw EvalError.unreadable(file: url.path, reason: data.isEmpty ? "the file is empty" : "not valid XML: the file ends inside an element")
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

    /// libxml2's error codes (which `XMLParser` reports as `NSXMLParserErrorDomain` codes) in plain words.
    static func describeXMLError(_ code: Int) -> String {
        switch code {
        case 1: return "the parser gave up (internal error)"
        case 2: return "out of memory"
        case 3, 4: return "no root element (the file is empty or does not start with '<')"
        case 5: return "extra content after the root element, or the file ends inside an element"
        case 6, 7, 8, 10...25: return "invalid character or entity reference"
        case 9: return "invalid character"
        case 26, 27: return "undeclared entity (only &lt; &gt; &amp; &quot; &apos; are known)"
        case 38: return "'<' inside an attribute value"
        case 39, 40, 43, 44: return "attribute value not quoted or not closed"
        case 41: return "attribute without a value"
        case 42: return "attribute given twice"
        case 45: return "comment not closed"
        case 46, 47: return "processing instruction not closed"
        case 56, 57, 64: return "malformed XML declaration"
        case 63: return "CDATA section not closed"
        case 68: return "expected an element name after '<'"
        case 73: return "expected '>'"
        case 74: return "expected '</'"
        case 75: return "expected '=' after an attribute name"
        case 76: return "closing tag does not match the open element"
        case 77: return "element not closed before the end of the file"
        case 80: return "'--' inside a comment"
        case 81, 84: return "bytes that are not valid in the file's encoding (UTF-8 expected)"
        case 85: return "elements not properly nested"
        case 86: return "extra content after the root element"
        case 89: return "an entity refers to itself (entity loop)"
        case 111: return "parsing was stopped"
        default: return "XML syntax error (libxml2 code \(code))"
        }
    }

    /// Builds the tree, refusing (and stopping the parser at) the first element, attribute or text over its limit.
    final class Collector: NSObject, XMLParserDelegate {
        var root: Node?
        var stack: [Node] = []
        /// True once the root element has been closed (libxml2 may accept a document cut short).
        var closed = false
        var elements = 0, textLength = 0
        /// The limit that stopped parsing, and its line.
        var limitExceeded: String?
        var limitLine = 0
        /// The first syntax error libxml2 reported (later ones are consequences), with its place.
        var firstError: (code: Int, line: Int, column: Int)?

        func stop(_ parser: XMLParser, _ why: String) {
            guard limitExceeded == nil else { return }
            limitExceeded = why
            limitLine = parser.lineNumber
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
            if firstError == nil { firstError = ((parseError as NSError).code, parser.lineNumber, parser.columnNumber) }
        }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            guard limitExceeded == nil else { return }
            guard stack.count < EvalLimits.maxXMLDepth else {
                return stop(parser, "elements nested deeper than \(EvalLimits.maxXMLDepth) levels")
            }
            elements += 1
            guard elements <= EvalLimits.maxXMLElements else {
                return stop(parser, "more than \(EvalLimits.maxXMLElements) elements")
            }
            guard attributeDict.count <= EvalLimits.maxXMLAttributes else {
                return stop(parser, "<\(elementName)> has more than \(EvalLimits.maxXMLAttributes) attributes")
            }
            guard root == nil || !stack.isEmpty else { return stop(parser, "a second root element <\(elementName)>") }
            let node = Node(name: elementName)
            if let top = stack.last { top.children.append(node) } else { root = node }
            stack.append(node)
        }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard limitExceeded == nil else { return }
            if let top = stack.popLast() { top.text = top.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            if stack.isEmpty { closed = true }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard limitExceeded == nil else { return }
            textLength += string.utf8.count
            guard textLength <= EvalLimits.maxXMLText else {
                return stop(parser, "more than \(EvalLimits.maxXMLText >> 20) MiB of text")
            }
            stack.last?.text += string
        }
    }
}
