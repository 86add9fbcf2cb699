import Foundation
import XCTest

/// Locations of test data: the committed `Tests/Fixtures/` and the third-party `../shared/data/`.
public enum TestData {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/data` beside the package root, or `VZ_SHARED_DATA` if set.
    public static var sharedRoot: URL {
        if let p = ProcessInfo.processInfo.environment["VZ_SHARED_DATA"] { return URL(fileURLWithPath: p) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// A file or folder under `../shared/data`; throws `XCTSkip` (with a clear message) when it is absent.
    public static func shared(_ relative: String) throws -> URL {
        let url = sharedRoot.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("needs ../shared/data/\(relative) (absent on this machine): skipped")
        }
        return url
    }

    /// A committed fixture under `Tests/Fixtures`.
    public static func fixture(_ relative: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative)
    }

    /// True when fixtures should be re-recorded instead of compared (`VZ_RECORD=1`).
    public static var recording: Bool { ProcessInfo.processInfo.environment["VZ_RECORD"] == "1" }
}

/// Asserts that two float arrays have equal length and differ by at most `tolerance` (absolute) everywhere;
/// reports the worst index and value on failure.
public func assertAllClose(_ a: [Float], _ b: [Float], tolerance: Float, _ message: @autoclosure () -> String = "",
                           file: StaticString = #filePath, line: UInt = #line) {
    guard a.count == b.count else {
        XCTFail("count \(a.count) != \(b.count) \(message())", file: file, line: line); return
    }
    var worst = 0, worstDiff: Float = 0
    for i in 0..<a.count {
        let d = abs(a[i] - b[i])
        if d > worstDiff || d.isNaN { worstDiff = d; worst = i; if d.isNaN { break } }
    }
    if !(worstDiff <= tolerance) {
        XCTFail("max |diff| \(worstDiff) > \(tolerance) at \(worst): \(a[worst]) vs \(b[worst]) \(message())", file: file, line: line)
    }
}
