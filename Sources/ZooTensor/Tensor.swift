/// A dense, contiguous Float32 tensor in row-major order (last dimension fastest).
///
/// Image-like tensors are `N, C, H, W`. A `Tensor` is a *reference* to its storage: copies of the
/// struct share memory (like a PyTorch tensor), `reshaped(_:)` is a free view, and kernels write into
/// tensors they are given (`into:`) so that a planned forward pass allocates nothing.
public struct Tensor: @unchecked Sendable {
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// The shared, 64-byte aligned buffer. `storage.count` may exceed `count` (a reused arena buffer).
    public let storage: TensorStorage

    /// Number of elements, the product of `shape`.
    public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Base address of the first element.
    @inlinable public var pointer: UnsafeMutablePointer<Float> { storage.pointer }
    /// The elements as a mutable buffer (no bounds checks in release builds).
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: storage.pointer, count: count)
    }

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// A tensor holding a copy of `data`; `data.count` must equal the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.init(zeros: shape)
        data.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.update(from: base, count: data.count) }
        }
    }

    /// A tensor of `shape` viewing existing storage (which must hold at least `shape` elements).
    public init(shape: [Int], storage: TensorStorage) {
        precondition(shape.reduce(1, *) <= storage.count, "storage of \(storage.count) too small for \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A view of the same storage with another shape of equal element count. One dimension may be -1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            s[i] = known == 0 ? 0 : count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: s, storage: storage)
    }

    /// A new tensor with its own copy of the elements.
    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.pointer.update(from: pointer, count: count)
        return t
    }

    /// The elements as an array (for tests and I/O, not for hot paths).
    public func toArray() -> [Float] { Array(buffer) }

    /// Element at a multi-index (slow; for tests and debugging).
    public subscript(_ index: Int...) -> Float {
        get { pointer[flatIndex(index)] }
        nonmutating set { pointer[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var flat = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for \(shape)")
            flat = flat * d + i
        }
        return flat
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }
}

/// Owns a 64-byte aligned Float32 allocation; freed when the last `Tensor` referring to it goes away.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates `count` zeroed floats.
    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
