import Foundation

/// An MXNet symbol graph (`model-symbol.json`): the operator nodes with their string attributes.
///
/// Models are written in Swift; this is read only to check that the Swift architecture matches the file
/// (kernel, stride, pad, groups, eps, …) and to name the parameters, never interpreted.
public struct MXNetSymbol {
    /// One graph node. `op == "null"` nodes are variables (data and parameters).
    public struct Node {
        public var op: String
        public var name: String
        public var attrs: [String: String]
        /// Names of the input nodes.
        public var inputs: [String]

        /// An attribute parsed as integers: `"(3, 3)"` → `[3, 3]`, `"64"` → `[64]`.
        public func ints(_ key: String) -> [Int]? {
            guard let s = attrs[key] else { return nil }
            let parts = s.trimmingCharacters(in: CharacterSet(charactersIn: "()[] "))
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let v = parts.compactMap { Int($0) }
            return v.count == parts.count ? v : nil
        }

        /// An attribute parsed as a float.
        public func float(_ key: String) -> Float? { attrs[key].flatMap { Float($0) } }

        /// An attribute parsed as a bool (`True`/`False`/`1`/`0`).
        public func bool(_ key: String) -> Bool? {
            switch attrs[key]?.lowercased() { case "true"?, "1"?: return true; case "false"?, "0"?: return false; default: return nil }
        }
    }

    /// Operator nodes (not variables) in file order.
    public private(set) var operators: [Node] = []
    private var byName: [String: Node] = [:]

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw MXNetError.unreadable("\(url.path): \(error.localizedDescription)") }
        do { try self.init(data: data) } catch let e as MXNetError {
            throw MXNetError.malformed("\(url.lastPathComponent): \(e.description)")
        }
    }

    public init(data: Data) throws {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw MXNetError.malformed("not a JSON object")
        }
        guard let nodes = root["nodes"] as? [[String: Any]] else { throw MXNetError.malformed("no 'nodes' array") }
        var names: [String] = []
        for (i, n) in nodes.enumerated() {
            guard let op = n["op"] as? String, let name = n["name"] as? String else {
                throw MXNetError.malformed("node #\(i) lacks 'op' or 'name'")
            }
            names.append(name)
            // MXNet ≥ 1.0 writes "attrs"; older files "param" (and "attr").
            let attrs = (n["attrs"] as? [String: String]) ?? (n["param"] as? [String: String]) ?? (n["attr"] as? [String: String]) ?? [:]
            var inputs: [String] = []
            for e in (n["inputs"] as? [[Any]]) ?? [] {
                guard let j = e.first as? Int, j >= 0, j < i else { throw MXNetError.malformed("node '\(name)' has a bad input reference") }
                inputs.append(names[j])
            }
            let node = Node(op: op, name: name, attrs: attrs, inputs: inputs)
            if op != "null" { operators.append(node) }
            byName[name] = node
        }
    }

    /// The node called `name` with operator `op`, or an error naming both.
    public func node(_ name: String, op: String) throws -> Node {
        guard let n = byName[name] else { throw MXNetError.missing("symbol node '\(name)'") }
        guard n.op == op else { throw MXNetError.mismatch("symbol node '\(name)' is \(n.op), expected \(op)") }
        return n
    }
}
