import CDNNL
import Foundation

/// The oneDNN (Debian `libdnnl-dev` 2.6, C API) CPU engine shared by every `DNNLConvolution`, a pool of
/// execution streams, and the thread setting oneDNN follows.
///
/// Debian builds oneDNN with the OpenMP runtime: the team size of a primitive is the calling thread's OpenMP
/// thread count, so every execution first sets it from `Threads.count` (the one `--threads` setting).
public enum DNNL {
    /// Whether `.auto` convolutions run on oneDNN (A/B: `VZ_ONEDNN=0` or `vz bench --no-onednn` uses our own
    /// kernels for every layer).
    nonisolated(unsafe) public static var enabled = ProcessInfo.processInfo.environment["VZ_ONEDNN"] != "0"

    /// The CPU engine, or nil when oneDNN cannot create one (then every convolution uses our kernels).
    nonisolated(unsafe) static let engine: dnnl_engine_t? = {
        var e: dnnl_engine_t?
        return dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success ? e : nil
    }()

    /// True when oneDNN has a CPU engine.
    public static var isAvailable: Bool { engine != nil }

    /// True when `.auto` convolutions go to oneDNN.
    public static var active: Bool { enabled && isAvailable }

    /// `oneDNN 2.6.3 (cpu runtime OpenMP, isa avx512_core_bf16)`.
    public static var description: String {
        guard let v = dnnl_version() else { return "oneDNN (unknown version)" }
        return "oneDNN \(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch) (OpenMP, max ISA \(isaName))"
    }

    /// The instruction set oneDNN's JIT dispatches to on this CPU.
    public static var isaName: String {
        let isa = dnnl_get_effective_cpu_isa()
        switch isa {
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_sse41: return "sse41"
        default: return "0x" + String(isa.rawValue, radix: 16)
        }
    }

    /// True when oneDNN runs bf16 convolutions natively (AVX512_BF16 dot products): `--precision bf16` pays off.
    public static var supportsBF16: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        return isa & dnnl_cpu_isa_avx512_core_bf16.rawValue == dnnl_cpu_isa_avx512_core_bf16.rawValue
    }

    /// Sets the calling thread's OpenMP team size to `Threads.count` (OpenMP keeps it per thread).
    @inline(__always) static func syncThreads() {
        let n = Int32(Threads.count)
        if omp_get_max_threads() != n { omp_set_num_threads(n) }
    }

    private static let streamLock = NSLock()
    nonisolated(unsafe) private static var freeStreams: [dnnl_stream_t] = []

    /// Runs `body` with an execution stream of its own (streams are not shared between concurrent callers).
    static func withStream<R>(_ body: (dnnl_stream_t) -> R) -> R? {
        guard let engine else { return nil }
        streamLock.lock()
        var s = freeStreams.popLast()
        streamLock.unlock()
        if s == nil {
            var created: dnnl_stream_t?
            guard dnnl_stream_create(&created, engine, UInt32(dnnl_stream_default_flags.rawValue)) == dnnl_success,
                  let c = created else { return nil }
            s = c
        }
        let stream = s!
        defer { streamLock.lock(); freeStreams.append(stream); streamLock.unlock() }
        return body(stream)
    }

    /// Executes `primitive` with `args` (memory objects wrapping caller buffers) and waits for it.
    static func execute(_ primitive: dnnl_primitive_t, _ args: [dnnl_exec_arg_t], stream: dnnl_stream_t) -> Bool {
        let ok = args.withUnsafeBufferPointer { dnnl_primitive_execute(primitive, stream, Int32($0.count), $0.baseAddress) }
        return ok == dnnl_success && dnnl_stream_wait(stream) == dnnl_success
    }

    /// A memory object over `handle` described by `md` (nil when oneDNN refuses it).
    static func memory(_ md: UnsafePointer<dnnl_memory_desc_t>, _ handle: UnsafeMutableRawPointer?) -> dnnl_memory_t? {
        guard let engine else { return nil }
        var m: dnnl_memory_t?
        return dnnl_memory_create(&m, md, engine, handle) == dnnl_success ? m : nil
    }

    /// A reorder primitive from `src` to `dst`, or nil when none exists.
    static func reorder(_ src: UnsafePointer<dnnl_memory_desc_t>, _ dst: UnsafePointer<dnnl_memory_desc_t>) -> dnnl_primitive_t? {
        guard let engine else { return nil }
        var pd: dnnl_primitive_desc_t?
        guard dnnl_reorder_primitive_desc_create(&pd, src, engine, dst, engine, nil) == dnnl_success, let pd else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        var p: dnnl_primitive_t?
        return dnnl_primitive_create(&p, pd) == dnnl_success ? p : nil
    }

    /// `md` as a plain `N, C, H, W` (or `[outC, inC, kH, kW]`-style) descriptor of `dims` with `tag`.
    static func plain(_ dims: [Int], _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        var d = dims.map(Int64.init)
        _ = dnnl_memory_desc_init_by_tag(&md, Int32(d.count), &d, type, tag)
        return md
    }
}
