import Foundation
import XCTest
import ZooModels
import ZooNN

final class DarknetConfigTests: XCTestCase {
    func testParsesSectionsOptionsCommentsAndSpaces() throws {
        let cfg = try DarknetConfig(text: """
        [net]
        # comment
        width = 416
        height=320
        ; another comment

        [convolutional]
        filters= 16
        anchors = 10,14,  23,27,
        activation=leaky
        """, source: "a.cfg")
        XCTAssertEqual(cfg.sections.count, 2)
        XCTAssertEqual(try cfg.net.int("width"), 416)
        XCTAssertEqual(try cfg.net.int("height"), 320)
        let conv = cfg.layers.first!
        XCTAssertEqual(conv.type, "convolutional")
        XCTAssertEqual(conv.line, 7)
        XCTAssertEqual(try conv.int("filters"), 16)
        XCTAssertEqual(try conv.floats("anchors"), [10, 14, 23, 27])
        XCTAssertEqual(try conv.string("activation"), "leaky")
        XCTAssertEqual(try conv.int("size", default: 1), 1)
        XCTAssertNil(try conv.ints("layers"))
    }

    func testErrorsNameFileLineAndSection() {
        XCTAssertThrowsError(try DarknetConfig(text: "[convolutional]\nfilters=3\n", source: "x.cfg")) { e in
            XCTAssertTrue("\(e)".contains("x.cfg:1"), "\(e)")
            XCTAssertTrue("\(e)".contains("[net]"), "\(e)")
        }
        XCTAssertThrowsError(try DarknetConfig(text: "[net]\nwidth\n", source: "x.cfg")) { e in
            XCTAssertTrue("\(e)".contains("x.cfg:2"), "\(e)")
        }
        XCTAssertThrowsError(try DarknetConfig(text: "[net\n", source: "x.cfg")) { e in
            XCTAssertTrue("\(e)".contains("x.cfg:1"), "\(e)")
        }
        let cfg = try! DarknetConfig(text: "[net]\nwidth=8\n\n[convolutional]\nfilters=abc\n", source: "y.cfg")
        XCTAssertThrowsError(try cfg.layers.first!.int("filters")) { e in
            XCTAssertEqual("\(e)", "y.cfg:5 [convolutional] filters: 'abc' is not an integer")
        }
        XCTAssertThrowsError(try cfg.layers.first!.int("size")) { e in
            XCTAssertTrue("\(e)".contains("y.cfg:4 [convolutional]"), "\(e)")
            XCTAssertTrue("\(e)".contains("missing"), "\(e)")
        }
    }

    func testMissingFileIsAnError() {
        XCTAssertThrowsError(try DarknetConfig(contentsOf: URL(fileURLWithPath: "/nonexistent/model.cfg"))) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/model.cfg"), "\(e)")
        }
    }
}
