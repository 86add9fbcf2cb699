import Foundation

/// Which convolution algorithm to run. `.auto` picks the fastest applicable path; the others force one
/// (tests use them to prove every fast path agrees with the general path and the naive reference).
public enum ConvAlgorithm: Sendable, Equatable, CaseIterable {
    /// oneDNN's direct convolution when it is available and enabled (`DNNL.active`); otherwise (and for shapes
    /// oneDNN has no fast kernel for) `.ownKernels`.
    case auto
    /// Our kernels: pointwise GEMM for 1×1/stride-1/unpadded, direct depthwise for depthwise, Winograd F(4,3) for
    /// 3×3 stride-1 layers where it measures faster (`Conv2dKernel.prefersWinograd`), im2col + GEMM otherwise.
    case ownKernels
    /// oneDNN (`DNNLConvolution`), falling back to `.ownKernels` when it has no fast kernel for the shape.
    case onednn
    /// im2col + `cblas_sgemm` (handles every geometry).
    case im2col
    /// 1×1 stride-1 unpadded: GEMM straight on the input planes (precondition: `isPointwise`).
    case pointwise
    /// Direct depthwise kernel (precondition: `isDepthwise`).
    case depthwise
    /// Winograd F(4×4, 3×3) + batched GEMMs (precondition: `WinogradConv.applies`).
    case winograd
    /// The naive seven-loop reference (slow).
    case naive
}

/// 2-D convolution over `N, C, H, W` with weight `[outC, inC/groups, kH, kW]` into `N, outC, outH, outW`,
/// with the bias + activation (or PReLU) epilogue fused.
public enum Conv2dKernel {
    /// Upper bound on the floats of one im2col tile; larger images are unfolded a band of output rows at a
    /// time so the band stays in cache between im2col and the GEMM.
    nonisolated(unsafe) public static var im2colTileFloats = 1 << 19

    /// The algorithm `.auto` resolves to for `g`.
    public static func resolve(_ algorithm: ConvAlgorithm, for g: ConvGeometry) -> ConvAlgorithm {
        switch algorithm {
        case .auto: return DNNL.active ? .onednn : resolve(.ownKernels, for: g)
        case .ownKernels: return g.isDepthwise ? .depthwise : g.isPointwise ? .pointwise : prefersWinograd(g) ? .winograd : .im2col
        case .winograd: precondition(WinogradConv.applies(g), "Winograd path needs a 3×3 stride-1 dilation-1 groups-1 convolution"); return .winograd
        case .pointwise: precondition(g.isPointwise, "pointwise path needs a 1×1 stride-1 unpadded convolution"); return .pointwise
        case .depthwise: precondition(g.isDepthwise, "depthwise path needs groups == inChannels == outChannels"); return .depthwise
        default: return algorithm
        }
    }

    /// `.auto` takes Winograd off when false (A/B measurements: `vz bench --no-winograd`, or the environment
    /// variable `VZ_WINOGRAD=0`).
    nonisolated(unsafe) public static var winogradEnabled = ProcessInfo.processInfo.environment["VZ_WINOGRAD"] != "0"
    /// `.auto` uses Winograd for 3×3 stride-1 layers with at least this many input and output channels
    /// (below it the tile transforms cost more than the saved multiplies; measured with `vz bench ops`).
    nonisolated(unsafe) public static var winogradMinChannels = 32

    /// True when `.auto` runs `g` through Winograd F(4,3).
    public static func prefersWinograd(_ g: ConvGeometry) -> Bool {
        winogradEnabled && WinogradConv.applies(g) && g.inChannels >= winogradMinChannels
            && g.outChannels >= winogradMinChannels && g.outH >= 4 && g.outW >= 4
    }

    /// Floats of workspace slot 0 that `run` needs for `g`.
    public static func workspaceFloats(_ g: ConvGeometry, algorithm: ConvAlgorithm = .auto) -> Int {
        var resolved = resolve(algorithm, for: g)
        if resolved == .onednn { resolved = resolve(.ownKernels, for: g) }  // its fallback
        if resolved == .depthwise { return DepthwiseConv.workspaceFloats(g) }
        if resolved == .winograd { return WinogradConv.workspaceFloats(g).v }
        guard resolved == .im2col else { return 0 }
        let band = tileRows(g)
        let workers = band == g.outH ? taskWorkers(g, columns: g.outH * g.outW) : 1
        return g.patchSize * band * g.outW * workers
    }

    /// A band never has fewer GEMM columns than this (narrow GEMMs lose more than the cache gains).
    nonisolated(unsafe) public static var minBandColumns = 2048

    /// Output rows per im2col band: within `im2colTileFloats`, at least `minBandColumns` columns, bands balanced.
    static func tileRows(_ g: ConvGeometry) -> Int {
        var rows = max(1, im2colTileFloats / max(1, g.patchSize * g.outW))
        rows = max(rows, (minBandColumns + g.outW - 1) / max(1, g.outW))
        if rows >= g.outH { return max(1, g.outH) }
        let bands = (g.outH + rows - 1) / rows
        return (g.outH + bands - 1) / bands
    }

    /// Runs the convolution. `input` is `g.batch, g.inChannels, g.inH, g.inW`; `output` is `g.outputShape`.
    /// `winogradWeights`: the weight already transformed by `WinogradConv.transformWeights` (a layer caches it in
    /// a `ConvWeightCache`); when nil and the Winograd path is taken, it is transformed into the workspace
    /// (slot 3) on every call.
    /// `.onednn` here builds a primitive and packs the weights on every call (layers cache both: `Conv2d`).
    public static func run(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue, workspace: Workspace,
                           algorithm: ConvAlgorithm = .auto, winogradWeights: UnsafePointer<Float>? = nil) {
        guard g.outH > 0, g.outW > 0, g.batch > 0 else { return }
        switch resolve(algorithm, for: g) {
        case .onednn:
            let precision = workspace.effectivePrecision
            if let conv = DNNLConvolution(g, activation: epilogue.preluSlope == nil ? epilogue.activation : .linear,
                                          bias: epilogue.bias != nil, precision: precision)
                ?? (precision == .fp32 ? nil : DNNLConvolution(g, activation: epilogue.preluSlope == nil ? epilogue.activation : .linear,
                                                                bias: epilogue.bias != nil, precision: .fp32)),
               let packed = conv.packWeights(weight),
               runDNNL(conv, weights: UnsafeRawPointer(packed.pointer), input: input, output: output, epilogue: epilogue, workspace: workspace) {
                return
            }
            run(g, input: input, weight: weight, output: output, epilogue: epilogue, workspace: workspace, algorithm: .ownKernels)
        case .winograd:
            var u = winogradWeights
            if u == nil {
                let t = workspace.floats(WinogradConv.transformedWeightCount(g), slot: 3)
                WinogradConv.transformWeights(weight, outChannels: g.outChannels, inChannels: g.inChannels, into: t)
                u = UnsafePointer(t)
            }
            WinogradConv.run(g, input: input, transformedWeights: u!, output: output, epilogue: epilogue, workspace: workspace)
        case .depthwise: DepthwiseConv.run(g, input: input, weight: weight, output: output, epilogue: epilogue, workspace: workspace)
        case .pointwise: pointwise(g, input: input, weight: weight, output: output, epilogue: epilogue)
        case .naive: Reference.conv2d(g, input: input, weight: weight, output: output, epilogue: epilogue)
        default: general(g, input: input, weight: weight, output: output, epilogue: epilogue, workspace: workspace)
        }
    }

    /// Runs a oneDNN primitive built for `epilogue` (its bias, and its activation unless a PReLU slope is
    /// given: the slope is applied here after the primitive). False when oneDNN failed.
    public static func runDNNL(_ conv: DNNLConvolution, weights: UnsafeRawPointer, input: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue, workspace: Workspace) -> Bool {
        guard conv.run(input: input, weights: weights, bias: epilogue.bias, output: output, workspace: workspace) else { return false }
        if let slope = epilogue.preluSlope {
            let g = conv.geometry, hw = g.outH * g.outW
            Threads.parallelFor(g.batch * g.outChannels, minPerChunk: max(1, 8192 / max(1, hw))) { i0, i1 in
                for i in i0..<i1 { VectorMath.biasPReLU(output + i * hw, count: hw, bias: 0, slope: slope[i % g.outChannels]) }
            }
        }
        return true
    }

    static func applyEpilogue(_ epilogue: ConvEpilogue, channel0: Int, channels: Int, _ out: UnsafeMutablePointer<Float>,
                              ld: Int, count: Int) {
        if epilogue.isIdentity { return }
        Threads.parallelFor(channels, minPerChunk: max(1, 8192 / max(1, count))) { c0, c1 in
            for c in c0..<c1 { epilogue.apply(channel: channel0 + c, out + c * ld, count: count) }
        }
    }

    /// OpenBLAS runs a GEMM with `m·n·k` at or below this single-threaded (`SMP_THRESHOLD_MIN · GEMM_MULTITHREAD_THRESHOLD`
    /// in OpenBLAS's interface/gemm.c); such GEMMs are spread over (batch, group) tasks on our own threads instead.
    static let blasSingleThreadMNK = 65536 * 4

    /// Parallel workers used for (batch, group) tasks of `g`, or 1 when each GEMM is large enough for BLAS threading.
    static func taskWorkers(_ g: ConvGeometry, columns: Int) -> Int {
        let tasks = g.batch * g.groups
        guard tasks > 1, Threads.count > 1,
              g.groupOutChannels * columns * g.patchSize <= blasSingleThreadMNK else { return 1 }
        return min(Threads.count, tasks)
    }

    /// Runs `body(task, worker)` for every (batch, group) task, on `workers` threads (worker = 0..<workers).
    static func forEachTask(_ g: ConvGeometry, workers: Int, _ body: (Int, Int) -> Void) {
        let tasks = g.batch * g.groups
        if workers <= 1 { for t in 0..<tasks { body(t, 0) }; return }
        Threads.parallelFor(workers) { w0, w1 in
            for w in w0..<w1 { var t = w; while t < tasks { body(t, w); t += workers } }
        }
    }

    static func pointwise(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue) {
        let hw = g.inH * g.inW, cin = g.groupInChannels, cout = g.groupOutChannels
        let workers = taskWorkers(g, columns: hw)
        forEachTask(g, workers: workers) { t, _ in
            let n = t / g.groups, gr = t % g.groups
            let x = input + (n * g.inChannels + gr * cin) * hw
            let y = output + (n * g.outChannels + gr * cout) * hw
            GEMM.sgemm(transA: false, transB: false, m: cout, n: hw, k: cin, alpha: 1,
                       a: weight + gr * cout * cin, lda: cin, b: x, ldb: hw, beta: 0, c: y, ldc: hw)
            if workers > 1 {
                if !epilogue.isIdentity { for c in 0..<cout { epilogue.apply(channel: gr * cout + c, y + c * hw, count: hw) } }
            } else {
                applyEpilogue(epilogue, channel0: gr * cout, channels: cout, y, ld: hw, count: hw)
            }
        }
    }

    static func general(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue, workspace: Workspace) {
        let k = g.patchSize, cin = g.groupInChannels, cout = g.groupOutChannels
        let outHW = g.outH * g.outW
        let band = tileRows(g)
        let workers = band == g.outH ? taskWorkers(g, columns: outHW) : 1
        let perWorker = k * band * g.outW
        let colBase = workspace.floats(perWorker * workers)
        forEachTask(g, workers: workers) { t, w in
            let n = t / g.groups, gr = t % g.groups
            let col = colBase + w * perWorker
            let x = input + (n * g.inChannels + gr * cin) * g.inH * g.inW
            let y = output + (n * g.outChannels + gr * cout) * outHW
            var y0 = 0
            while y0 < g.outH {
                let y1 = min(g.outH, y0 + band)
                let cols = (y1 - y0) * g.outW
                if workers > 1 {
                    for r in 0..<k { Im2col.fillRow(g, r, input: x, dst: col + r * cols, rowStart: y0, rowEnd: y1) }
                } else {
                    Im2col.fill(g, input: x, col: col, rowStart: y0, rowEnd: y1)
                }
                GEMM.sgemm(transA: false, transB: false, m: cout, n: cols, k: k, alpha: 1,
                           a: weight + gr * cout * k, lda: k, b: col, ldb: cols, beta: 0,
                           c: y + y0 * g.outW, ldc: outHW)
                if workers > 1 {
                    if !epilogue.isIdentity {
                        for c in 0..<cout { epilogue.apply(channel: gr * cout + c, y + c * outHW + y0 * g.outW, count: cols) }
                    }
                } else {
                    applyEpilogue(epilogue, channel0: gr * cout, channels: cout, y + y0 * g.outW, ld: outHW, count: cols)
                }
                y0 = y1
            }
        }
    }
}
