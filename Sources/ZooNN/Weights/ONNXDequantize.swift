import Foundation
import ZooTensor

extension ONNXModel {
    /// The same model with every constant `DequantizeLinear` (and a constant `Reshape` of its result) folded into a
    /// float32 initializer, so quantised weight files (e.g. OpenCV Zoo `*_int8bq.onnx`) load like float ones.
    ///
    /// `DequantizeLinear(x, x_scale, x_zero_point)` computes `y = (x − zero_point) · scale` (ONNX opset 10–21):
    /// per tensor when `scale` is a scalar, per axis when it is 1-D (`axis`, default 1), and blocked when the
    /// `block_size` attribute is set (opset 21): then `scale`/`zero_point` have the rank of `x` and along `axis`
    /// element `i` uses entry `i / block_size`. A missing zero point means 0. Only nodes whose inputs are all
    /// initializers are folded; the folded value gets the node's output name, and initializers no other node reads
    /// any more (the int8 data, scales, zero points, reshape shapes) are dropped. Weights are dequantised once, at
    /// load time; inference then runs in float32 like the graph's `DequantizeLinear` does in onnxruntime.
    public func foldingDequantizeLinear() throws -> ONNXModel {
        var m = self
        var kept: [ONNXNode] = []
        var folded: Set<String> = []
        for n in nodes {
            if n.opType == "DequantizeLinear", n.inputs.allSatisfy({ $0.isEmpty || m.initializers[$0] != nil }) {
                let y = try Self.dequantize(n, m.initializers)
                m.addInitializer(y)
                folded.insert(y.name)
            } else if n.opType == "Reshape", n.inputs.count == 2, folded.contains(n.inputs[0]),
                      let x = m.initializers[n.inputs[0]], let s = m.initializers[n.inputs[1]] {
                var y = x
                y.name = n.outputs.first ?? ""
                y.dims = try Self.reshapeTarget(x.dims, s.int64s, allowZero: (n.int("allowzero") ?? 0) != 0, node: n.name)
                m.addInitializer(y)
                folded.insert(y.name)
            } else {
                kept.append(n)
            }
        }
        m.nodes = kept
        // Drop initializers only the folded nodes read (and folded intermediates nothing reads any more).
        let used = Set(kept.flatMap(\.inputs)).union(outputs)
        let readBefore = Set(nodes.flatMap(\.inputs))
        let drop = Set(m.initializerOrder.filter { !used.contains($0) && (folded.contains($0) || readBefore.contains($0)) })
        m.initializerOrder.removeAll { drop.contains($0) }
        for d in drop { m.initializers[d] = nil }
        return m
    }

    private mutating func addInitializer(_ t: ONNXInitializer) {
        if initializers[t.name] == nil { initializerOrder.append(t.name) }
        initializers[t.name] = t
    }

    /// ONNX `Reshape` target shape: `0` copies the input dimension (unless `allowzero`), one `-1` is inferred.
    static func reshapeTarget(_ dims: [Int], _ shape: [Int64], allowZero: Bool, node: String) throws -> [Int] {
        let count = dims.reduce(1, *)
        var out = shape.enumerated().map { i, v -> Int in (v == 0 && !allowZero && i < dims.count) ? dims[i] : Int(v) }
        let unknown = out.indices.filter { out[$0] == -1 }
        guard unknown.count <= 1, out.allSatisfy({ $0 >= -1 }) else { throw ONNXError.malformed("Reshape '\(node)': shape \(shape)") }
        if let u = unknown.first {
            let known = out.enumerated().filter { $0.offset != u }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else { throw ONNXError.mismatch("Reshape '\(node)': cannot reshape \(dims) to \(shape)") }
            out[u] = count / known
        }
        guard out.reduce(1, *) == count else { throw ONNXError.mismatch("Reshape '\(node)': cannot reshape \(dims) to \(shape)") }
        return out
    }

    /// `DequantizeLinear` of constant inputs → a float initializer named after the node's output.
    static func dequantize(_ n: ONNXNode, _ inits: [String: ONNXInitializer]) throws -> ONNXInitializer {
        let what = "DequantizeLinear '\(n.name)'"
        guard n.inputs.count >= 2, let x = inits[n.inputs[0]], let scale = inits[n.inputs[1]], let outName = n.outputs.first else {
            throw ONNXError.missing("\(what): input, scale or output")
        }
        let zero = n.inputs.count > 2 && !n.inputs[2].isEmpty ? inits[n.inputs[2]] : nil
        guard [.int8, .uint8, .int32].contains(x.dataType) else {
            throw ONNXError.unsupported("\(what): quantised data '\(x.name)' is \(x.dataType) (int8, uint8, int32 supported)")
        }
        guard scale.dataType == .float || scale.dataType == .float16 else {
            throw ONNXError.unsupported("\(what): scale '\(scale.name)' is \(scale.dataType)")
        }
        if let zero, zero.dims != scale.dims {
            throw ONNXError.mismatch("\(what): zero point '\(zero.name)' has shape \(zero.dims), scale has \(scale.dims)")
        }
        let rank = x.dims.count
        var axis = n.int("axis") ?? 1
        if axis < 0 { axis += rank }
        let blockSize = n.int("block_size") ?? 0
        let count = x.count
        // index of the scale entry for each element
        var out = [Float](repeating: 0, count: count)
        let q = x.floats, s = scale.floats
        let z = zero?.floats ?? [Float](repeating: 0, count: s.count)
        if scale.count == 1 && blockSize == 0 {
            for i in 0..<count { out[i] = (q[i] - z[0]) * s[0] }
        } else {
            guard axis >= 0, axis < rank else { throw ONNXError.mismatch("\(what): axis \(n.int("axis") ?? 1) for rank \(rank)") }
            let inner = x.dims[(axis + 1)...].reduce(1, *), len = x.dims[axis], outer = x.dims[..<axis].reduce(1, *)
            if blockSize == 0 {
                guard scale.dims.count == 1, scale.count == len else {
                    throw ONNXError.mismatch("\(what): per-axis scale '\(scale.name)' has shape \(scale.dims), axis \(axis) of \(x.dims) has \(len)")
                }
                for o in 0..<outer { for a in 0..<len { for i in 0..<inner {
                    let k = (o * len + a) * inner + i
                    out[k] = (q[k] - z[a]) * s[a]
                } } }
            } else {
                guard blockSize > 0 else { throw ONNXError.malformed("\(what): block_size \(blockSize)") }
                let blocks = (len + blockSize - 1) / blockSize
                var want = x.dims
                want[axis] = blocks
                guard scale.dims == want else {
                    throw ONNXError.mismatch("\(what): blocked scale '\(scale.name)' has shape \(scale.dims), expected \(want) for \(x.dims) with block_size \(blockSize) on axis \(axis)")
                }
                for o in 0..<outer { for a in 0..<len { for i in 0..<inner {
                    let k = (o * len + a) * inner + i
                    let j = (o * blocks + a / blockSize) * inner + i
                    out[k] = (q[k] - z[j]) * s[j]
                } } }
            }
        }
        return ONNXInitializer(name: outName, dims: x.dims, dataType: .float, floats: out, int64s: [])
    }
}
