import Foundation
import XCTest
@testable import ZooEval

/// Hostile annotation and results files (issue 14 items 6 and 10): deep nesting, huge counts and broken syntax
/// are errors naming the file and the place, in bounded time — never a crash or an `NSXMLParserErrorDomain` code.
final class ReaderLimitsTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("zooeval-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The error text of `body`, which must throw within `seconds`.
    func message(within seconds: Double = 5, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        let start = Date()
        var text = ""
        do { try body(); XCTFail("no error", file: file, line: line) } catch { text = "\(error)" }
        XCTAssertLessThan(Date().timeIntervalSince(start), seconds, "took too long: \(text)", file: file, line: line)
        XCTAssertFalse(text.contains("ErrorDomain"), text, file: file, line: line)
        return text
    }

    func vocFolder(_ name: String, _ xml: String) throws -> URL {
        try write("\(name)/a.xml", xml).deletingLastPathComponent()
    }

    /// Was a segfault (exit 139): stack exhaustion on 100,000 nested elements.
    func testDeeplyNestedXMLIsAnError() throws {
        let n = 100_000
        let folder = try vocFolder("deep", "<annotation>" + String(repeating: "<a>", count: n) + String(repeating: "</a>", count: n) + "</annotation>")
        let text = message { _ = try VOCDatasetReader.read(folder) }
        XCTAssertTrue(text.contains("a.xml") && text.contains("nested deeper than 64") && text.contains("line 1"), text)
    }

    func testXMLElementTextAndAttributeLimits() throws {
        let many = try vocFolder("many", "<annotation>" + String(repeating: "<x/>", count: EvalLimits.maxXMLElements + 1) + "</annotation>")
        XCTAssertTrue(message { _ = try VOCDatasetReader.read(many) }.contains("more than \(EvalLimits.maxXMLElements) elements"))
        let attrs = (0...EvalLimits.maxXMLAttributes).map { "a\($0)=\"1\"" }.joined(separator: " ")
        let wide = try vocFolder("wide", "<annotation \(attrs)><filename>a.jpg</filename></annotation>")
        XCTAssertTrue(message { _ = try VOCDatasetReader.read(wide) }.contains("more than \(EvalLimits.maxXMLAttributes) attributes"))
        // Entity expansion ("billion laughs"): refused by libxml2 or stopped by the text limit, never expanded.
        var dtd = "<!DOCTYPE annotation [<!ENTITY l0 \"lolololololololololo\">"
        for k in 1...9 { dtd += "<!ENTITY l\(k) \"" + String(repeating: "&l\(k - 1);", count: 10) + "\">" }
        let laughs = try vocFolder("laughs", dtd + "]><annotation><filename>&l9;</filename></annotation>")
        let text = message { _ = try VOCDatasetReader.read(laughs) }
        XCTAssertTrue(text.contains("a.xml"), text)
        let big = try write("big/a.xml", "<annotation>" + String(repeating: " ", count: EvalLimits.maxXMLBytes) + "</annotation>")
        XCTAssertTrue(message { _ = try VOCDatasetReader.read(big.deletingLastPathComponent()) }.contains("MiB limit"))
    }

    /// Was "NSXMLParserErrorDomain error 4/5/76/…": now the problem in words, with line and column.
    func testMalformedXMLIsDescribedInWords() throws {
        let cases: [(String, String)] = [
            ("just text", "no root element (the file is empty or does not start with '<') (line 1"),
            ("<annotation></annotation><annotation/>", "extra content after the root element (line 1"),
            ("<annotation/>junk", "extra content after the root element (line 1"),
            ("<annotation>\n<object></annotation>", "closing tag does not match the open element (line 2"),
            ("<annotation><filename>a.jpg", "the file ends inside an element"),
            ("<annotation a=1/>", "attribute value not quoted or not closed (line 1"),
            ("<annotation>&nope;</annotation>", "undeclared entity"),
            ("<a b='1' b='2'/>", "attribute given twice"),
            ("<a>\u{1}</a>", "invalid character"),
            ("< a/>", "expected an element name"),
        ]
        for (k, (xml, expected)) in cases.enumerated() {
            let folder = try vocFolder("bad\(k)", xml)
            let text = message { _ = try VOCDatasetReader.read(folder) }
            XCTAssertTrue(text.contains("a.xml: cannot read: ") && text.contains(expected), "\(xml.debugDescription): \(text)")
        }
        let empty = try vocFolder("empty", "")
        XCTAssertTrue(message { _ = try VOCDatasetReader.read(empty) }.contains("a.xml: cannot read: the file is empty"))
    }

    /// JSON nested 100,000 deep (arrays and objects) is a syntax error at the 65th level, for both COCO readers.
    func testDeeplyNestedJSONIsAnError() throws {
        let n = 100_000
        let arrays = try write("deep.json", String(repeating: "[", count: n) + String(repeating: "]", count: n))
        let objects = try write("deepo.json", #"{"images":"# + String(repeating: #"{"a":"#, count: n) + "1" + String(repeating: "}", count: n + 1))
        for f in [arrays, objects] {
            for read in [{ _ = try COCODatasetReader.read(f) }, { _ = try COCOResults.read(f) }] {
                let text = message(read)
                XCTAssertTrue(text.contains(f.lastPathComponent) && text.contains("nested deeper than 64 levels") && text.contains("line 1, column"), text)
            }
        }
    }

    func testJSONCountsAndBoxes() throws {
        XCTAssertThrowsError(try JSONValue.parse(Data("[1,2,3,4]".utf8), maxValues: 4)) { error in
            XCTAssertTrue("\(error)".contains("more than 4 values"), "\(error)")
        }
        XCTAssertNoThrow(try JSONValue.parse(Data("[1,2,3]".utf8), maxValues: 4))
        let j = JSONFields(file: "x.json")
        XCTAssertThrowsError(try j.array(.array([.null, .null]), "images", limit: 1)) { error in
            XCTAssertEqual("\(error)", "x.json: images: 2 entries is over the limit of 1")
        }
        let head = #"{"images":[{"id":1}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":"#
        for (k, box) in ["[1,2,3,4,5]", "[1,2,3]", #"[1,2,"3",4]"#, "[1,2,3,-4]", "{}"].enumerated() {
            let f = try write("box\(k).json", head + box + "}]}")
            let text = message { _ = try COCODatasetReader.read(f) }
            XCTAssertTrue(text.contains("box\(k).json: annotations[0].bbox"), text)
        }
        let text = message { _ = try COCODatasetReader.read(self.dir) }
        XCTAssertTrue(text.contains("is a folder"), text)
    }
}
