import Foundation

/// A darknet `.weights` file: a header then a flat stream of little-endian Float32 values that the cfg's
/// layers consume in order.
///
/// Header (darknet `load_weights_upto`): three int32 — major, minor, revision — then `seen` (images seen in
/// training) as int64 when `major * 10 + minor >= 2` (and both < 1000), else as int32. Per convolutional layer
/// the stream holds `biases[n]`, then with `batch_normalize=1` `scales[n]`, `rolling_mean[n]`,
/// `rolling_variance[n]`, then `weights[n * c/groups * size * size]` (`n, c/groups, kH, kW` order).
///
/// Reading is strict: `take` fails when the stream runs short and `finish` fails when floats are left over,
/// naming the cfg section that asked for them.
public struct DarknetWeights {
    public let major: Int32, minor: Int32, revision: Int32
    /// Training images seen, as stored in the header.
    public let seen: Int64
    /// The path, for error messages.
    public let path: String
    /// Number of Float32 values after the header.
    public let floatCount: Int
    private let data: Data
    private let headerBytes: Int
    private let generator: ((Int) -> Float)?
    /// Floats consumed so far.
    public private(set) var position = 0

    /// Maps the whole file (a regular file of at most `WeightLimits.maxFileBytes`; darknet weights are tens of MB
    /// for the models we run).
    public init(contentsOf url: URL) throws {
        let data: Data
        switch WeightFileReader.read(url) {
        case .success(let d): data = d
        case .failure(let p): throw DarknetError.io(path: url.path, message: "cannot read weights: \(p.message)")
        }
        try self.init(data: data, path: url.path)
    }

    /// Parses weights from memory. `path` names the source in errors.
    public init(data: Data, path: String = "<weights>") throws {
        self.path = path
        self.data = data
        self.generator = nil
        func int32(at offset: Int) -> Int32 {
            data.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Int32.self)) }
        }
        guard data.count >= 16 else {
            throw DarknetError.weights(path: path, message: "file of \(data.count) bytes is too short for a darknet header")
        }
        major = int32(at: 0); minor = int32(at: 4); revision = int32(at: 8)
        let wide = (Int(major) * 10 + Int(minor)) >= 2 && major < 1000 && minor < 1000
        if wide {
            guard data.count >= 20 else {
                throw DarknetError.weights(path: path, message: "file of \(data.count) bytes is too short for a version \(major).\(minor) header")
            }
            seen = data.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: Int64.self)) }
            headerBytes = 20
        } else {
            seen = Int64(int32(at: 12))
            headerBytes = 16
        }
        let payload = data.count - headerBytes
        guard payload % 4 == 0 else {
            throw DarknetError.weights(path: path, message: "\(payload) bytes after the \(headerBytes)-byte header is not a whole number of Float32 values")
        }
        floatCount = payload / 4
    }

    /// An endless synthetic stream whose `i`-th float is `value(i)`: for building networks with made-up weights
    /// (tests) and for counting the floats a cfg needs (`position` after building). `finish()` always succeeds.
    public init(synthetic value: @escaping (Int) -> Float) {
        major = 0; minor = 2; revision = 0; seen = 0; path = "<synthetic>"
        data = Data(); headerBytes = 0; generator = value; floatCount = Int.max
    }

    /// Floats not yet consumed.
    public var remaining: Int { floatCount - position }

    /// Copies the next `count` floats into `destination`; `what` (e.g. "yolov3.cfg:25 [convolutional] weights")
    /// names the consumer in the error when the file runs short or a value is NaN or infinite.
    public mutating func take(_ count: Int, into destination: UnsafeMutablePointer<Float>, for what: String) throws {
        try copy(count, into: destination, for: what)
        if let problem = WeightLimits.nonFiniteProblem(destination, count: count) {
            throw DarknetError.weights(path: path, message: "\(what) \(problem)")
        }
    }

    private mutating func copy(_ count: Int, into destination: UnsafeMutablePointer<Float>, for what: String) throws {
        guard count >= 0 else { throw DarknetError.weights(path: path, message: "negative float count \(count) at \(what)") }
        guard count <= remaining else {
            throw DarknetError.weights(path: path, message: "ran out of floats at \(what): needs \(count), \(remaining) left (file holds \(floatCount) after the header; cfg and weights do not match)")
        }
        if let generator {
            for i in 0..<count { destination[i] = generator(position + i) }
            position += count
            return
        }
        let offset = headerBytes + position * 4
        data.withUnsafeBytes { raw in
            let src = raw.baseAddress!.advanced(by: offset)
            UnsafeMutableRawPointer(destination).copyMemory(from: src, byteCount: count * 4)
        }
        #if _endian(big)
        for i in 0..<count { destination[i] = Float(bitPattern: UInt32(littleEndian: destination[i].bitPattern)) }
        #endif
        position += count
    }

    /// Returns the next `count` floats as an array.
    public mutating func take(_ count: Int, for what: String) throws -> [Float] {
        var out = [Float](repeating: 0, count: count)
        if count == 0 { return out }
        try out.withUnsafeMutableBufferPointer { try take(count, into: $0.baseAddress!, for: what) }
        return out
    }

    /// Fails unless every float has been consumed (the cfg must describe exactly the weights in the file).
    public func finish() throws {
        guard generator != nil || remaining == 0 else {
            throw DarknetError.weights(path: path, message: "\(remaining) of \(floatCount) floats left unused after the last layer: cfg and weights do not match")
        }
    }
}
