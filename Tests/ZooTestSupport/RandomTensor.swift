import ZooTensor

/// Deterministic xorshift generator so random-shape tests are reproducible.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed == 0 ? 0x9E3779B97F4A7C15 : seed }
    public mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
}

/// A tensor of uniform values in `range`.
public func randomTensor(_ shape: [Int], _ rng: inout SeededRandom, _ range: ClosedRange<Float> = -1...1) -> Tensor {
    Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &rng) })
}
