/// Bit-exact re-implementations of the few NumPy routines whose rounding shows up in COCOeval's numbers.
enum NumpyCompat {
    /// `np.linspace(start, stop, num, endpoint=True)`: `i * ((stop - start) / (num - 1)) + start`, last = `stop`.
    static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        guard num > 1 else { return num == 1 ? [start] : [] }
        let step = (stop - start) / Double(num - 1)
        var y = (0..<num).map { Double($0) * step + start }
        y[num - 1] = stop
        return y
    }

    /// `np.add.reduce` on a contiguous float64 array: NumPy's pairwise summation (blocks of 128, 8 accumulators).
    static func pairwiseSum(_ a: UnsafeBufferPointer<Double>) -> Double {
        let n = a.count
        guard let base = a.baseAddress else { return 0 }
        if n < 8 {
            var res = 0.0
            for i in 0..<n { res += base[i] }
            return res
        } else if n <= 128 {
            var r0 = base[0], r1 = base[1], r2 = base[2], r3 = base[3]
            var r4 = base[4], r5 = base[5], r6 = base[6], r7 = base[7]
            var i = 8
            while i < n - (n % 8) {
                r0 += base[i]; r1 += base[i + 1]; r2 += base[i + 2]; r3 += base[i + 3]
                r4 += base[i + 4]; r5 += base[i + 5]; r6 += base[i + 6]; r7 += base[i + 7]
                i += 8
            }
            var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < n { res += base[i]; i += 1 }
            return res
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return pairwiseSum(UnsafeBufferPointer(start: base, count: n2))
                + pairwiseSum(UnsafeBufferPointer(start: base + n2, count: n - n2))
        }
    }

    /// `np.mean(values)` for a non-empty array (pairwise sum divided by the count).
    static func mean(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { pairwiseSum($0) } / Double(values.count)
    }
}
