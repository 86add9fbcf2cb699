import Foundation

/// Typed access to `JSONSerialization` values that throws `EvalError.malformed` naming the file and field.
struct JSONFields {
    let file: String

    /// Parses a JSON file (top level may be an object or an array).
    static func load(_ url: URL) throws -> Any {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw EvalError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        do { return try JSONSerialization.jsonObject(with: data, options: []) } catch {
            throw EvalError.unreadable(file: url.path, reason: "not valid JSON (\(error.localizedDescription))")
        }
    }

    func fail(_ field: String, _ problem: String) -> EvalError {
        .malformed(file: file, field: field, problem: problem)
    }

    func object(_ v: Any?, _ field: String) throws -> [String: Any] {
        guard let o = v as? [String: Any] else { throw fail(field, v == nil ? "missing" : "expected an object") }
        return o
    }

    func array(_ v: Any?, _ field: String) throws -> [Any] {
        guard let a = v as? [Any] else { throw fail(field, v == nil ? "missing" : "expected an array") }
        return a
    }

    func number(_ v: Any?, _ field: String) throws -> Double {
        if let n = v as? NSNumber {
            let d = n.doubleValue
            guard d.isFinite else { throw fail(field, "not a finite number") }
            return d
        }
        throw fail(field, v == nil ? "missing" : "expected a number")
    }

    func int(_ v: Any?, _ field: String) throws -> Int {
        let d = try number(v, field)
        guard d == d.rounded(), abs(d) < 9.0e15 else { throw fail(field, "expected an integer, got \(d)") }
        return Int(d)
    }

    func string(_ v: Any?, _ field: String) throws -> String {
        guard let s = v as? String else { throw fail(field, v == nil ? "missing" : "expected a string") }
        return s
    }

    /// `[x, y, w, h]` with non-negative width and height.
    func bbox(_ v: Any?, _ field: String) throws -> (Double, Double, Double, Double) {
        guard let a = v as? [Any], a.count == 4 else {
            throw fail(field, v == nil ? "missing" : "expected [x, y, width, height]")
        }
        let x = try number(a[0], field + "[0]"), y = try number(a[1], field + "[1]")
        let w = try number(a[2], field + "[2]"), h = try number(a[3], field + "[3]")
        guard w >= 0, h >= 0 else { throw fail(field, "negative width or height (\(w), \(h))") }
        return (x, y, w, h)
    }

    /// A 0/1 or boolean flag (COCO `iscrowd`); absent means `false`.
    func flag(_ v: Any?, _ field: String) throws -> Bool {
        guard let v else { return false }
        if let b = v as? Bool { return b }
        return try number(v, field) != 0
    }
}
