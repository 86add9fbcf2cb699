import Foundation

/// A parsed darknet `.cfg` file: an ordered list of `[section]`s with `key=value` options.
///
/// Syntax (as darknet's `read_cfg`): `[name]` starts a section, `key = value` lines belong to the last section,
/// blank lines and lines starting with `#` or `;` are ignored, spaces are insignificant. Every section and
/// option remembers its line so that errors can name it.
public struct DarknetConfig: Sendable {
    /// The sections in file order, `[net]` (or `[network]`) included.
    public var sections: [DarknetSection]
    /// Where the text came from (a file path), used in error messages.
    public var source: String

    /// Most sections a cfg may have (the largest darknet models have ~400; yolov4 has 162).
    public static let maxSections = 4096
    /// Most characters in one option value (long `anchors=` lists are ~200).
    public static let maxValueLength = 4096

    /// Parses cfg text. `source` names the file in errors.
    public init(text: String, source: String = "<cfg>") throws {
        self.source = source
        sections = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.filter { !$0.isWhitespace }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw DarknetError.syntax(source: source, line: lineNumber, message: "malformed section header '\(rawLine.prefix(80))'")
                }
                guard sections.count < Self.maxSections else {
                    throw DarknetError.syntax(source: source, line: lineNumber, message: "more than \(Self.maxSections) sections")
                }
                sections.append(DarknetSection(type: String(line.dropFirst().dropLast()).lowercased(),
                                               line: lineNumber, source: source))
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw DarknetError.syntax(source: source, line: lineNumber, message: "expected 'key=value', got '\(rawLine.prefix(80))'")
            }
            guard !sections.isEmpty else {
                throw DarknetError.syntax(source: source, line: lineNumber, message: "option before the first [section]")
            }
            let key = String(line[..<eq]), value = String(line[line.index(after: eq)...])
            guard !key.isEmpty else {
                throw DarknetError.syntax(source: source, line: lineNumber, message: "empty option name in '\(rawLine.prefix(80))'")
            }
            guard key.count <= 64, value.count <= Self.maxValueLength else {
                throw DarknetError.syntax(source: source, line: lineNumber, message: "option '\(key.prefix(64))' is longer than \(Self.maxValueLength) characters")
            }
            sections[sections.count - 1].options[key] = DarknetSection.Option(value: value, line: lineNumber)
        }
        guard let first = sections.first?.type, first == "net" || first == "network" else {
            throw DarknetError.syntax(source: source, line: sections.first?.line ?? 1,
                                      message: "a darknet cfg must start with a [net] section")
        }
    }

    /// Reads and parses a `.cfg` file (a regular file of at most `WeightLimits.maxTextFileBytes`).
    public init(contentsOf url: URL) throws {
        let data: Data
        switch WeightFileReader.read(url, limit: WeightLimits.maxTextFileBytes) {
        case .success(let d): data = d
        case .failure(let p): throw DarknetError.io(path: url.path, message: "cannot read cfg: \(p.message)")
        }
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw DarknetError.io(path: url.path, message: "cfg is not text")
        }
        try self.init(text: text, source: url.lastPathComponent)
    }

    /// The `[net]` section.
    public var net: DarknetSection { sections[0] }
    /// The layer sections (everything after `[net]`); darknet's layer index `i` is `layers[i]`.
    public var layers: ArraySlice<DarknetSection> { sections.dropFirst() }
}

/// One `[type]` section of a darknet cfg with typed, error-reporting option accessors.
public struct DarknetSection: Sendable {
    /// A value and the line it was written on.
    public struct Option: Sendable { public var value: String; public var line: Int }

    /// Lower-cased section name, e.g. `convolutional`, `yolo`.
    public var type: String
    /// 1-based line of the `[type]` header.
    public var line: Int
    /// File name for messages.
    public var source: String
    /// Options by key.
    public var options: [String: Option] = [:]

    public init(type: String, line: Int, source: String, options: [String: Option] = [:]) {
        self.type = type; self.line = line; self.source = source; self.options = options
    }

    /// "yolov3.cfg:123 [convolutional]" — how errors name a section.
    public var location: String { "\(source):\(line) [\(type)]" }

    /// An error located at `key`'s line (or the section header when `key` is nil or absent).
    public func error(_ key: String?, _ message: String) -> DarknetError {
        if let key, let opt = options[key] {
            return .invalidOption(location: "\(source):\(opt.line) [\(type)] \(key)", message: message)
        }
        return .invalidOption(location: location + (key.map { " \($0)" } ?? ""), message: message)
    }

    /// True when the option is written in the section.
    public func has(_ key: String) -> Bool { options[key] != nil }

    /// An integer option (darknet accepts `1.0`-style integers via atoi-like parsing; we demand an integer).
    public func int(_ key: String, default value: Int? = nil) throws -> Int {
        guard let opt = options[key] else {
            if let value { return value }
            throw error(key, "required option '\(key)' is missing")
        }
        guard let v = Int(opt.value) else { throw error(key, "'\(opt.value)' is not an integer") }
        return v
    }

    /// An integer option that must lie in `range`; the error names the key, its line and the range.
    public func int(_ key: String, default value: Int? = nil, in range: ClosedRange<Int>) throws -> Int {
        let v = try int(key, default: value)
        guard range.contains(v) else { throw error(key, "\(key)=\(v) is outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    /// A floating-point option that must lie in `range`.
    public func float(_ key: String, default value: Float? = nil, in range: ClosedRange<Float>) throws -> Float {
        let v = try float(key, default: value)
        guard range.contains(v) else { throw error(key, "\(key)=\(v) is outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    /// A floating-point option.
    public func float(_ key: String, default value: Float? = nil) throws -> Float {
        guard let opt = options[key] else {
            if let value { return value }
            throw error(key, "required option '\(key)' is missing")
        }
        guard let v = Float(opt.value), v.isFinite else { throw error(key, "'\(opt.value)' is not a number") }
        return v
    }

    /// A string option.
    public func string(_ key: String, default value: String? = nil) throws -> String {
        guard let opt = options[key] else {
            if let value { return value }
            throw error(key, "required option '\(key)' is missing")
        }
        return opt.value
    }

    /// A comma-separated integer list (empty items, e.g. a trailing comma, are skipped); `nil` when absent.
    public func ints(_ key: String) throws -> [Int]? {
        guard let opt = options[key] else { return nil }
        return try opt.value.split(separator: ",").map { item in
            guard let v = Int(item) else { throw error(key, "'\(item)' in '\(opt.value)' is not an integer") }
            return v
        }
    }

    /// A comma-separated number list; `nil` when absent.
    public func floats(_ key: String) throws -> [Float]? {
        guard let opt = options[key] else { return nil }
        return try opt.value.split(separator: ",").map { item in
            guard let v = Float(item), v.isFinite else { throw error(key, "'\(item)' in '\(opt.value)' is not a number") }
            return v
        }
    }

    /// Throws if any of `keys` is present with a value other than its inference-neutral default: options that
    /// change inference and that we do not implement must not be silently ignored.
    public func rejectUnsupported(_ keys: [String: String]) throws {
        for (key, neutral) in keys.sorted(by: { $0.key < $1.key }) {
            if let opt = options[key], opt.value != neutral {
                throw error(key, "'\(key)=\(opt.value)' is not supported (only \(key)=\(neutral))")
            }
        }
    }
}

/// Errors from reading darknet cfg and weights files; each names the file and the line/section at fault.
public enum DarknetError: Error, CustomStringConvertible, Equatable {
    case io(path: String, message: String)
    case syntax(source: String, line: Int, message: String)
    case invalidOption(location: String, message: String)
    case unsupportedSection(location: String)
    case shapeMismatch(location: String, message: String)
    case weights(path: String, message: String)

    public var description: String {
        switch self {
        case .io(let path, let m): return "\(path): \(m)"
        case .syntax(let s, let line, let m): return "\(s):\(line): \(m)"
        case .invalidOption(let loc, let m): return "\(loc): \(m)"
        case .unsupportedSection(let loc): return "\(loc): unsupported section type"
        case .shapeMismatch(let loc, let m): return "\(loc): \(m)"
        case .weights(let path, let m): return "\(path): \(m)"
        }
    }
}

extension DarknetError: LocalizedError {
    public var errorDescription: String? { description }
}
