import ArgumentParser
import Foundation
import ZooTensor

/// `vz info`: the BLAS library and kernels in use, threads, CPU SIMD features, build configuration.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the BLAS library, threads, CPU features and build configuration.",
        discussion: """
        EXAMPLES
          vz info
          vz info --json --threads 1
        """)

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?

    func validate() throws { try OptionRanges.check(threads, OptionRanges.threads, "threads") }

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        if let threads { Threads.set(threads) }
        let info: [(String, String)] = [
            ("version", VisionZooVersion.string),
            ("blas", Threads.blasConfig.trimmingCharacters(in: .whitespaces)),
            ("blas_core", Threads.blasCoreName),
            ("openblas_coretype_env", ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)"),
            ("conv_backend", DNNL.active ? DNNL.description : DNNL.isAvailable ? "own kernels (VZ_ONEDNN=0)" : "own kernels (oneDNN has no CPU engine)"),
            ("precisions", DNNL.active && DNNL.supportsBF16 ? "fp32 bf16" : "fp32 (bf16 emulated: no AVX512_BF16)"),
            ("threads", String(Threads.count)),
            ("cores", String(ProcessInfo.processInfo.activeProcessorCount)),
            ("cpu_simd", CPUFeatures.simd.joined(separator: " ")),
            ("build", VisionZooVersion.buildConfiguration),
        ]
        if json {
            // Numbers as numbers and lists as lists, so tools need not parse strings.
            var obj: [String: Any] = Dictionary(uniqueKeysWithValues: info)
            obj["threads"] = Threads.count
            obj["cores"] = ProcessInfo.processInfo.activeProcessorCount
            obj["cpu_simd"] = CPUFeatures.simd
            obj["precisions"] = DNNL.active && DNNL.supportsBF16 ? ["fp32", "bf16"] : ["fp32"]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (k, v) in info { print("\(k.padding(toLength: 22, withPad: " ", startingAt: 0)) \(v)") }
        }
    }
}

/// SIMD features of the CPU as the kernel reports them (Linux `/proc/cpuinfo` flags).
enum CPUFeatures {
    static var simd: [String] {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return ["unknown"] }
        let flags = Set(line.split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
        let interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "neon", "asimd"]
        return interesting.filter(flags.contains)
    }
}
