import Foundation

/// The one parser of the service's scalar parameters (query parameters and form fields), strict as the OpenAPI
/// document states them — schemathesis checks that anything else is refused.
enum QueryValue {
    /// A decimal number inside `range`, compared **before** rounding to `Float`: `-5.8e-139` is below a minimum
    /// of 0 even though it rounds to `-0.0` (found by schemathesis). Not finite, not a number, out of range: 400
    /// naming the parameter and the range.
    static func number(_ s: String, name: String, in range: ClosedRange<Float>, what: String = "a number") throws -> Float {
        guard let d = Double(s), d.isFinite, d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            throw ServeError.badRequest("\(name): '\(s)' is not \(what) in \(range.lowerBound)...\(range.upperBound)")
        }
        return Float(d)
    }

    /// An integer inside `range`.
    static func integer(_ s: String, name: String, in range: ClosedRange<Int>, what: String = "") throws -> Int {
        guard let v = Int(s), range.contains(v) else {
            throw ServeError.badRequest("\(name): '\(s)' is not an integer in \(range.lowerBound)...\(range.upperBound)\(what)")
        }
        return v
    }

    /// A boolean as OpenAPI serialises it in a query: exactly `true` or `false` (an empty value is not one).
    static func flag(_ s: String, name: String) throws -> Bool {
        switch s {
        case "true": return true
        case "false": return false
        default: throw ServeError.badRequest("\(name): '\(s)' is not a boolean (true or false)")
        }
    }
}
