import Foundation
import ZooTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The limits every reader of model files checks before it allocates anything a file asks for.
///
/// Readers never trust a count, a length or a shape: each is checked against what the file can actually hold
/// (bytes left) and against these ceilings first, and a file over a limit is refused with an error naming the
/// file, the field and the limit. Nothing here is a property of a supported model: the largest (IResNet-100 ONNX,
/// 65 M parameters, 261 MB) is far below every ceiling, which exist so that a corrupt or hostile file fails with a
/// message instead of an allocation failure (SIGABRT), an integer overflow or a stack overflow.
public enum WeightLimits {
    /// Largest model file any reader opens (ONNX, torch, MXNet, dlib, darknet weights, safetensors).
    public static let maxFileBytes = 4 << 30
    /// Largest text file (darknet `.cfg`, MXNet symbol JSON).
    public static let maxTextFileBytes = 16 << 20
    /// Elements of one tensor (Float32: 8 GiB).
    public static let maxTensorElements = 1 << 31
    /// Dimensions of one tensor.
    public static let maxTensorRank = 16
    /// Parameters of one model (Float32: 8 GiB).
    public static let maxParameters = 1 << 31
    /// Nesting depth of containers (pickle tuples/lists/dicts, protobuf messages, JSON).
    public static let maxNestingDepth = 100

    /// The product of `dims`, or nil when a dimension is negative, the product overflows or exceeds `limit`.
    public static func elementCount<S: Sequence>(_ dims: S, limit: Int = maxTensorElements) -> Int? where S.Element == Int {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p <= limit else { return nil }
            n = p
        }
        return n
    }

    /// Index of the first NaN or ±infinity among `count` floats at `p`, or nil when all are finite.
    /// Vectorised: 16 lanes of exponent tests per step (≈ memory bandwidth), then a scalar search of the hit block.
    public static func firstNonFinite(_ p: UnsafePointer<Float>, count: Int) -> Int? {
        let exponent: UInt32 = 0x7F80_0000
        var i = 0
        p.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
            let lanes = SIMD16<UInt32>(repeating: exponent)
            while i + 16 <= count {
                let v = UnsafeRawPointer(bits + i).loadUnaligned(as: SIMD16<UInt32>.self)
                if any((v & lanes) .== lanes) { break }
                i += 16
            }
            while i < count, bits[i] & exponent != exponent { i += 1 }
        }
        return i < count ? i : nil
    }

    /// The first non-finite element of `t` as "NaN at element 12" / "+inf at element 3", or nil.
    public static func nonFiniteProblem(_ p: UnsafePointer<Float>, count: Int) -> String? {
        guard let i = firstNonFinite(p, count: count) else { return nil }
        let v = p[i]
        let what = v.isNaN ? "NaN" : (v > 0 ? "+inf" : "-inf")
        return "holds \(what) at element \(i) of \(count) (corrupt weights)"
    }

    /// The first non-finite element of `t`, described, or nil.
    public static func nonFiniteProblem(_ t: Tensor) -> String? { nonFiniteProblem(t.pointer, count: t.count) }
}

/// Reading a model file whole, refusing what is not a regular file of bounded size before reading a byte.
enum WeightFileReader {
    /// The file's bytes (memory-mapped when possible), or the problem as a message without the path
    /// ("is a directory", "is not a regular file (a FIFO or device)", "is 5 GB, over the 4 GB limit", …).
    static func read(_ url: URL, limit: Int = WeightLimits.maxFileBytes) -> Result<Data, FileProblem> {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            let e = errno
            return .failure(FileProblem(e == ENOENT ? "no such file" : e == EACCES ? "permission denied" : e == ELOOP ? "symbolic link loop" : "cannot stat (errno \(e))"))
        }
        let type = st.st_mode & S_IFMT
        guard type != S_IFDIR else { return .failure(FileProblem("is a directory, not a model file")) }
        guard type == S_IFREG else { return .failure(FileProblem("is not a regular file (a FIFO, socket or device)")) }
        let size = Int(st.st_size)
        guard size <= limit else { return .failure(FileProblem("is \(size) bytes, over the \(limit)-byte limit for this kind of file")) }
        do { return .success(try Data(contentsOf: url, options: .mappedIfSafe)) } catch {
            return .failure(FileProblem("cannot read: \(error.localizedDescription)"))
        }
    }

    struct FileProblem: Error { let message: String; init(_ m: String) { message = m } }
}
