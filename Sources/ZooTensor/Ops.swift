/// Tensor operations that write into a preallocated output (`into:`); shapes are checked with preconditions.
///
/// Axes are 0-based; a negative axis counts from the end. All tensors are dense row-major.
public enum Ops {
    @usableFromInline
    static func normalize(axis: Int, rank: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
        return a
    }

    /// Product of `shape[range]`.
    @usableFromInline
    static func product(_ shape: [Int], _ range: Range<Int>) -> Int { shape[range].reduce(1, *) }

    /// Concatenates `xs` along `axis` into `y`; all other dimensions must agree.
    public static func concat(_ xs: [Tensor], axis: Int, into y: Tensor) {
        precondition(!xs.isEmpty, "concat of nothing")
        let a = normalize(axis: axis, rank: y.rank)
        var total = 0
        for x in xs {
            precondition(x.rank == y.rank && x.shape[..<a] == y.shape[..<a] && x.shape[(a + 1)...] == y.shape[(a + 1)...],
                         "concat: \(x.shape) does not fit \(y.shape) on axis \(a)")
            total += x.shape[a]
        }
        precondition(total == y.shape[a], "concat: sizes along axis \(a) sum to \(total), output has \(y.shape[a])")
        let outer = product(y.shape, 0..<a), inner = product(y.shape, (a + 1)..<y.rank)
        let yRow = y.shape[a] * inner
        var offset = 0
        for x in xs {
            let xRow = x.shape[a] * inner
            copyBlocks(from: x.pointer, srcStride: xRow, to: y.pointer + offset, dstStride: yRow, rows: outer, count: xRow)
            offset += xRow
        }
    }

    /// Copies elements `start..<end` of `axis` of `x` into `y`.
    public static func slice(_ x: Tensor, axis: Int, start: Int, end: Int, into y: Tensor) {
        let a = normalize(axis: axis, rank: x.rank)
        precondition(0 <= start && start <= end && end <= x.shape[a], "slice \(start)..<\(end) out of range for \(x.shape) axis \(a)")
        var expect = x.shape; expect[a] = end - start
        precondition(y.shape == expect, "slice: output \(y.shape), expected \(expect)")
        let outer = product(x.shape, 0..<a), inner = product(x.shape, (a + 1)..<x.rank)
        copyBlocks(from: x.pointer + start * inner, srcStride: x.shape[a] * inner, to: y.pointer,
                   dstStride: (end - start) * inner, rows: outer, count: (end - start) * inner)
    }

    /// Splits `x` along `axis` into consecutive parts of `sizes` (which must sum to the axis length).
    public static func split(_ x: Tensor, axis: Int, sizes: [Int], into ys: [Tensor]) {
        let a = normalize(axis: axis, rank: x.rank)
        precondition(sizes.count == ys.count && sizes.reduce(0, +) == x.shape[a], "split sizes \(sizes) do not cover \(x.shape[a])")
        var start = 0
        for (s, y) in zip(sizes, ys) { slice(x, axis: a, start: start, end: start + s, into: y); start += s }
    }

    /// `y = x.permuted(dims)`: `y.shape[i] == x.shape[dims[i]]` (like `torch.permute`).
    public static func permute(_ x: Tensor, _ dims: [Int], into y: Tensor) {
        let r = x.rank
        precondition(dims.count == r && Set(dims) == Set(0..<r), "permute: \(dims) is not a permutation of 0..<\(r)")
        precondition(y.shape == dims.map { x.shape[$0] }, "permute: output \(y.shape), expected \(dims.map { x.shape[$0] })")
        var xStrides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { xStrides[i] = xStrides[i + 1] * x.shape[i + 1] }
        // Merge nothing fancy: iterate y in order; innermost y dim reads x with stride xStrides[dims.last].
        let src = x.pointer, dst = y.pointer
        guard r > 0 else { dst[0] = src[0]; return }
        let inner = y.shape[r - 1], innerStride = xStrides[dims[r - 1]]
        let outer = y.count / max(1, inner)
        guard inner > 0 else { return }
        let ys = y.shape, st = dims.map { xStrides[$0] }
        Threads.parallelFor(outer, minPerChunk: max(1, 16384 / inner)) { o0, o1 in
            for o in o0..<o1 {
                var rem = o, base = 0
                for i in stride(from: r - 2, through: 0, by: -1) { base += (rem % ys[i]) * st[i]; rem /= ys[i] }
                let d = dst + o * inner
                if innerStride == 1 { d.update(from: src + base, count: inner) }
                else { for j in 0..<inner { d[j] = src[base + j * innerStride] } }
            }
        }
    }

    @usableFromInline
    static func copyBlocks(from src: UnsafePointer<Float>, srcStride: Int, to dst: UnsafeMutablePointer<Float>,
                           dstStride: Int, rows: Int, count: Int) {
        guard count > 0 else { return }
        Threads.parallelFor(rows, minPerChunk: max(1, 32768 / count)) { r0, r1 in
            for r in r0..<r1 { (dst + r * dstStride).update(from: src + r * srcStride, count: count) }
        }
    }
}
