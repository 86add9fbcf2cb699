import ArgumentParser
import Dispatch
import Foundation
import ZooNN
#if canImport(Glibc)
import Glibc
#endif

/// `vz bench …`: benchmarks (warm-up, N runs, median). Model benchmarks are added as further subcommands.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: engine ops and models (warm-up, N runs, median).",
        discussion: """
        Side-by-side runs against onnxruntime, OpenVINO and OpenCV DNN are in
        scripts/bench_*.py; results and the commands that produced them are in
        BENCHMARKS.md.

        EXAMPLES
          vz bench --model yolov3-tiny --threads 2 --runs 50
          vz bench model --model yolox-nano --precision bf16 --json
          vz bench model --model yolov3-tiny --profile
          vz bench ops --threads 2
          vz bench attention --runs 3
          vz bench gallery --sizes 1000,10000,100000
        """,
        subcommands: [BenchModel.self, BenchOps.self, BenchAttention.self, BenchDETRTransformer.self, BenchGallery.self], defaultSubcommand: BenchModel.self
    )
}

/// `vz bench ops`: our convolution beside a raw `cblas_sgemm` of the same GEMM size, for the convolution shapes
/// of a small detector, so the im2col / epilogue overhead is visible.
struct BenchOps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Conv GFLOPS vs raw cblas_sgemm GFLOPS of the same GEMM size (small-detector shapes)."
    )

    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?
    @Option(help: "Timed runs per measurement, \(OptionRanges.text(OptionRanges.runs)) (the median is reported).")
    var runs = 20
    @Option(help: "Untimed warm-up runs, \(OptionRanges.text(OptionRanges.warmup)).")
    var warmup = 3
    @Flag(help: "Print JSON instead of a Markdown table.")
    var json = false
    @Option(help: "Tuning: upper bound on floats per im2col band, \(OptionRanges.text(OptionRanges.im2colTile)) (default \(Conv2dKernel.im2colTileFloats)).")
    var im2colTileFloats: Int?
    @Flag(help: "Take the Winograd path out of `.auto` (3×3 stride-1 layers then run im2col + GEMM).")
    var noWinograd = false
    @Flag(help: "Re-exec this process with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (native OpenBLAS kernels).")
    var nativeBlas = false

    /// One benchmark shape: `N, C, H, W` input and the convolution applied to it.
    struct Shape {
        let name: String
        let input: [Int]
        let outC: Int, kernel: Int, stride: Int, pad: Int, groups: Int
    }

    static let shapes: [Shape] = [
        Shape(name: "3x3 3->16 @416 (yolov3-tiny conv0)", input: [1, 3, 416, 416], outC: 16, kernel: 3, stride: 1, pad: 1, groups: 1),
        Shape(name: "3x3 16->32 @208", input: [1, 16, 208, 208], outC: 32, kernel: 3, stride: 1, pad: 1, groups: 1),
        Shape(name: "3x3 s2 32->64 @104", input: [1, 32, 104, 104], outC: 64, kernel: 3, stride: 2, pad: 1, groups: 1),
        Shape(name: "3x3 32->64 @104", input: [1, 32, 104, 104], outC: 64, kernel: 3, stride: 1, pad: 1, groups: 1),
        Shape(name: "3x3 64->128 @52", input: [1, 64, 52, 52], outC: 128, kernel: 3, stride: 1, pad: 1, groups: 1),
        Shape(name: "3x3 128->256 @26", input: [1, 128, 26, 26], outC: 256, kernel: 3, stride: 1, pad: 1, groups: 1),
        Shape(name: "3x3 256->512 @13", input: [1, 256, 13, 13], outC: 512, kernel: 3, stride: 1, pad: 1, groups: 1),
        Shape(name: "3x3 512->1024 @13 (yolov3-tiny #12)", input: [1, 512, 13, 13], outC: 1024, kernel: 3, stride: 1, pad: 1, groups: 1),
        Shape(name: "3x3 384->256 @26 (yolov3-tiny #21)", input: [1, 384, 26, 26], outC: 256, kernel: 3, stride: 1, pad: 1, groups: 1),
        Shape(name: "1x1 256->255 @13", input: [1, 256, 13, 13], outC: 255, kernel: 1, stride: 1, pad: 0, groups: 1),
        Shape(name: "dw 3x3 64 @104", input: [1, 64, 104, 104], outC: 64, kernel: 3, stride: 1, pad: 1, groups: 64),
    ]

    struct Row: Codable {
        let shape: String, path: String
        let m: Int, n: Int, k: Int, gemms: Int
        let convMs: Double, convGflops: Double, sgemmMs: Double, sgemmGflops: Double, ratio: Double
        let convMinMs: Double, sgemmMinMs: Double
        /// im2col + GEMM median for the same layer when `.auto` chose another path (else equal to `convMs`).
        let im2colMs: Double
    }

    func validate() throws {
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
        try OptionRanges.check(runs, OptionRanges.runs, "runs")
        try OptionRanges.check(warmup, OptionRanges.warmup, "warmup")
        try OptionRanges.check(im2colTileFloats, OptionRanges.im2colTile, "im2col-tile-floats")
    }

    func run() throws {
        if nativeBlas { try reexecWithoutCoretype() }
        if let threads { Threads.set(threads) }
        if let im2colTileFloats { Conv2dKernel.im2colTileFloats = max(1, im2colTileFloats) }
        if noWinograd { Conv2dKernel.winogradEnabled = false }
        let env = ProcessInfo.processInfo.environment
        var rows: [Row] = []
        var rng = SystemRandomNumberGenerator()
        for s in Self.shapes {
            let conv = Conv2d(inChannels: s.input[1], outChannels: s.outC, kernel: s.kernel, stride: s.stride,
                              padding: s.pad, groups: s.groups, activation: .leaky(0.1))
            fillRandom(conv.weight, &rng); fillRandom(conv.bias!, &rng)
            let x = Tensor(zeros: s.input); fillRandom(x, &rng)
            let y = Tensor(zeros: conv.outputShape(for: s.input))
            let ws = Workspace()
            let g = conv.geometry(for: s.input)
            // The same GEMM(s) on preallocated operands: M = outC/groups, N = outH·outW, K = patch size, once per group.
            let m = g.groupOutChannels, n = g.outH * g.outW, k = g.patchSize, gemms = g.groups * g.batch
            let a = Tensor(zeros: [g.outChannels * k]), b = Tensor(zeros: [k * n]), c = Tensor(zeros: [g.outChannels * n])
            fillRandom(a, &rng); fillRandom(b, &rng)
            let (convT, sgemmT) = timePair({ conv.forward(x, into: y, workspace: ws) }, {
                for i in 0..<gemms {
                    GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a.pointer + (i % g.groups) * m * k,
                               lda: k, b: b.pointer, ldb: n, beta: 0, c: c.pointer + (i % g.groups) * m * n, ldc: n)
                }
            })
            let gf = g.flops / 1e9
            let convMs = convT.median, sgemmMs = sgemmT.median
            let path = Conv2dKernel.resolve(.auto, for: g)
            var im2colMs = convMs
            if path != .im2col && !g.isDepthwise && !g.isPointwise {
                var direct = conv; direct.algorithm = .im2col
                im2colMs = timePair({ direct.forward(x, into: y, workspace: ws) }, {}).0.median
            }
            rows.append(Row(shape: s.name, path: "\(path)", m: m, n: n, k: k, gemms: gemms,
                            convMs: convMs, convGflops: gf / (convMs / 1e3), sgemmMs: sgemmMs,
                            sgemmGflops: gf / (sgemmMs / 1e3), ratio: sgemmMs / convMs,
                            convMinMs: convT.min, sgemmMinMs: sgemmT.min, im2colMs: im2colMs))
        }
        let coretype = env["OPENBLAS_CORETYPE"] ?? "(unset)"
        if json {
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Report: Codable { let threads: Int; let blasCore: String; let openblasCoretypeEnv: String; let runs: Int; let rows: [Row] }
            let data = try enc.encode(Report(threads: Threads.count, blasCore: Threads.blasCoreName,
                                             openblasCoretypeEnv: coretype, runs: runs, rows: rows))
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("im2col band ≤ \(Conv2dKernel.im2colTileFloats) floats; threads \(Threads.count), OpenBLAS core \(Threads.blasCoreName), OPENBLAS_CORETYPE=\(coretype), median of \(runs) runs after \(warmup) warm-up")
        print("")
        print("GFLOPS count the direct convolution's multiply-adds (Winograd does fewer, so it can exceed the sgemm rate); im2col ms = the same layer forced through im2col + GEMM.")
        print("")
        print("| conv (N=1, fused bias+leaky) | path | GEMM M×N×K (×count) | conv ms | conv GFLOPS | sgemm ms | sgemm GFLOPS | conv/sgemm | min: conv / sgemm ms (ratio) | im2col ms |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows {
            print("| \(r.shape) | \(r.path) | \(r.m)×\(r.n)×\(r.k)\(r.gemms > 1 ? " ×\(r.gemms)" : "") | \(f(r.convMs, 3)) | \(f(r.convGflops, 1)) | \(f(r.sgemmMs, 3)) | \(f(r.sgemmGflops, 1)) | \(f(r.ratio * 100, 0)) % | \(f(r.convMinMs, 3)) / \(f(r.sgemmMinMs, 3)) (\(f(r.sgemmMinMs / r.convMinMs * 100, 0)) %) | \(f(r.im2colMs, 3)) |")
        }
    }

    func f(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

    func fillRandom(_ t: Tensor, _ rng: inout SystemRandomNumberGenerator) {
        for i in 0..<t.count { t.pointer[i] = Float.random(in: -1...1, using: &rng) }
    }

    /// Median and minimum wall times of `a` and `b` in milliseconds, runs interleaved (a, b, a, b, …) so that background load
    /// affects both alike.
    func timePair(_ a: () -> Void, _ b: () -> Void) -> ((median: Double, min: Double), (median: Double, min: Double)) {
        for _ in 0..<max(0, warmup) { a(); b() }
        var ta: [Double] = [], tb: [Double] = []
        func ms(_ body: () -> Void) -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        }
        for _ in 0..<max(1, runs) { ta.append(ms(a)); tb.append(ms(b)) }
        ta.sort(); tb.sort()
        return ((ta[ta.count / 2], ta[0]), (tb[tb.count / 2], tb[0]))
    }

    /// Replaces this process with itself minus `OPENBLAS_CORETYPE`/`OPENBLAS_L2_SIZE` (OpenBLAS reads them at load).
    func reexecWithoutCoretype() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] != nil || env["OPENBLAS_L2_SIZE"] != nil else {
            print("note: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are already unset; running with the native OpenBLAS kernels")
            return
        }
        print("note: re-executing with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for this process only "
              + "(was \(env["OPENBLAS_CORETYPE"] ?? "unset") / \(env["OPENBLAS_L2_SIZE"] ?? "unset"))")
        fflush(stdout)
        unsetenv("OPENBLAS_CORETYPE"); unsetenv("OPENBLAS_L2_SIZE")
        let args = CommandLine.arguments.filter { $0 != "--native-blas" }
        let exe = "/proc/self/exe"
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        execv(exe, &cargs)
        throw ValidationError("re-exec failed (errno \(errno))")
    }
}
