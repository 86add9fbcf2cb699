import Foundation

/// Typed access to `JSONValue`s that throws `EvalError.malformed` naming the file and field.
struct JSONFields {
    let file: String

    /// Reads and parses a JSON file (at most `EvalLimits.maxJSONBytes`, checked before reading).
    static func load(_ url: URL) throws -> JSONValue {
        try EvalLimits.checkFileSize(url, limit: EvalLimits.maxJSONBytes, kind: "JSON")
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw EvalError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        do { return try JSONValue.parse(data) } catch {
            throw EvalError.unreadable(file: url.path, reason: "not valid JSON (\(error))")
        }
    }

    func fail(_ field: String, _ problem: String) -> EvalError {
        .malformed(file: file, field: field, problem: problem)
    }

    func object(_ v: JSONValue?, _ field: String) throws -> JSONValue {
        guard let v, case .object = v else { throw fail(field, v == nil ? "missing" : "expected an object") }
        return v
    }

    func array(_ v: JSONValue?, _ field: String) throws -> [JSONValue] {
        guard let v, case .array(let a) = v else { throw fail(field, v == nil ? "missing" : "expected an array") }
        return a
    }

    /// An array of at most `limit` items (checked before the caller allocates for them).
    func array(_ v: JSONValue?, _ field: String, limit: Int) throws -> [JSONValue] {
        let a = try array(v, field)
        try EvalLimits.checkCount(a.count, limit: limit, file: file, field: field)
        return a
    }

    func number(_ v: JSONValue?, _ field: String) throws -> Double {
        guard let v, case .number(let d) = v else { throw fail(field, v == nil ? "missing" : "expected a number") }
        return d
    }

    func int(_ v: JSONValue?, _ field: String) throws -> Int {
        let d = try number(v, field)
        guard d == d.rounded(), abs(d) < 9.0e15 else { throw fail(field, "expected an integer, got \(d)") }
        return Int(d)
    }

    func string(_ v: JSONValue?, _ field: String) throws -> String {
        guard let v, case .string(let s) = v else { throw fail(field, v == nil ? "missing" : "expected a string") }
        return s
    }

    /// `[x, y, w, h]`: exactly four finite numbers, width and height non-negative.
    func bbox(_ v: JSONValue?, _ field: String) throws -> (Double, Double, Double, Double) {
        guard let v, case .array(let a) = v, a.count == 4 else {
            throw fail(field, v == nil ? "missing" : "expected [x, y, width, height]")
        }
        let x = try number(a[0], field + "[0]"), y = try number(a[1], field + "[1]")
        let w = try number(a[2], field + "[2]"), h = try number(a[3], field + "[3]")
        guard x.isFinite, y.isFinite, w.isFinite, h.isFinite else { throw fail(field, "not a finite number") }
        guard w >= 0, h >= 0 else { throw fail(field, "negative width or height (\(w), \(h))") }
        return (x, y, w, h)
    }

    /// A 0/1 or boolean flag (COCO `iscrowd`); absent or null means `false`.
    func flag(_ v: JSONValue?, _ field: String) throws -> Bool {
        guard let v else { return false }
        switch v {
        case .bool(let b): return b
        case .null: return false
        default: return try number(v, field) != 0
        }
    }
}
