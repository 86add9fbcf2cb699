import ArgumentParser
import Foundation
import ZooModels
import ZooPipelines
import ZooImage
import ZooTensor
import ZooNN
import ZooDetect

/// `vz bench [model]`: times a zoo model's forward pass on a fixed input (warm-up, N runs, min/median/max),
/// with a per-layer-type breakdown. `scripts/bench_opencv_darknet.py` runs OpenCV DNN beside it.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Benchmark a zoo model's forward pass on a fixed input (default subcommand of `vz bench`).",
        discussion: """
        The input is the deterministic synthetic image of the parity fixtures (no
        decoding or preprocessing is timed). stages_ms is the mean time per run spent
        in each darknet layer type; --profile prints every layer.
        OpenBLAS kernels follow the environment (OPENBLAS_CORETYPE); the kernels in
        use are reported.
        """)

    @Option(help: "Model name (see `vz models`).")
    var model = ModelZoo.defaultDetector

    @Option(help: "Square input size (default: the model's).")
    var size: Int?

    @Option(help: "Weights file instead of the model's own (torchvision detectors: any compatible .pth, e.g. a random-weight one for timing).")
    var weights: String?

    @Option(help: "Threads (default: VZ_THREADS or all cores).")
    var threads: Int?

    @OptionGroup var precisionOption: PrecisionOption

    @Option(help: "Timed runs.")
    var runs = 20

    @Option(help: "Untimed warm-up runs.")
    var warmup = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Print the time of every layer (mean over the runs).")
    var profile = false

    @Option(name: .customLong("im2col-tile"), help: "Experiment: im2col band size in floats (engine default 524288).")
    var im2colTile: Int?

    @Flag(name: .customLong("no-onednn"), help: "Run every convolution on our own kernels instead of oneDNN (A/B comparison; also VZ_ONEDNN=0).")
    var noOneDNN = false

    @Flag(help: "Take the Winograd path out of the engine's automatic choice (A/B comparison; also VZ_WINOGRAD=0).")
    var noWinograd = false

    func validate() throws {
        guard runs >= 1, warmup >= 0 else { throw ValidationError("--runs must be >= 1 and --warmup >= 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1") }
        try OptionRanges.check(size, DetectorLimits.size, "size")
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
        try OptionRanges.check(runs, OptionRanges.runs, "runs")
        try OptionRanges.check(warmup, OptionRanges.warmup, "warmup")
        try OptionRanges.check(im2colTile, OptionRanges.im2colTile, "im2col-tile")
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        precisionOption.apply()
        if let im2colTile { Conv2dKernel.im2colTileFloats = max(1, im2colTile) }
        if noWinograd { Conv2dKernel.winogradEnabled = false }
        if noOneDNN { DNNL.enabled = false }
        let entry = try ModelZoo.entry(named: model)
        guard case .detector(let make) = entry.factory else {
            return try benchFace(entry.card)
        }
        var card = entry.card, folder: URL
        if let weights {
            let url = URL(fileURLWithPath: weights)
            folder = url.deletingLastPathComponent()
            card.files = [WeightFile(url.lastPathComponent)]
        } else {
            folder = try WeightsStore.standard().require(entry.card)
        }
        let detector = try make(folder, card)
        if let tv = detector as? TorchvisionDetector {
            return try benchTorchvision(tv, card: entry.card)
        }
        if let detr = detector as? DETR {
            return try benchDETR(detr, card: entry.card)
        }
        if let rt = detector as? RTDETR {
            return try benchRTDETR(rt, card: entry.card)
        }
        guard let composed = detector as? SingleStageDetector else {
            throw ValidationError("\(model): benchmarking is implemented for darknet, module-built, torchvision, DETR and RT-DETR detectors")
        }
        // A darknet trunk: the whole cfg network (its [yolo] decoding included), timed per layer.
        guard let net = composed.backbone as? DarknetNetwork else { return try benchComposed(composed, card: entry.card) }
        let s = size ?? entry.card.input.width
        guard s > 0, s % entry.card.input.sizeMultiple == 0 else {
            throw ValidationError("--size must be a positive multiple of \(entry.card.input.sizeMultiple)")
        }
        let input = DarknetBenchInput.synthetic(channels: net.channels, height: s, width: s)
        for _ in 0..<warmup { _ = try net.forward(input) }
        var times: [Double] = []
        let layerTimes = UnsafeMutablePointer<Double>.allocate(capacity: net.sections.count)
        layerTimes.initialize(repeating: 0, count: net.sections.count)
        defer { layerTimes.deallocate() }
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try net.forward(input, layerTimes: layerTimes)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        var stages: [String: Double] = [:]
        for (i, sec) in net.sections.enumerated() { stages[sec.layer.kind, default: 0] += layerTimes[i] * 1000 / Double(runs) }
        let env = ProcessInfo.processInfo.environment
        if json {
            let obj: [String: Any] = [
                "model": model, "size": s, "threads": Threads.count, "runs": runs,
                "median_ms": r3(median), "min_ms": r3(sorted.first!), "max_ms": r3(sorted.last!),
                "stages_ms": stages.mapValues(r3), "blas_core": Threads.blasCoreName, "times_ms": times.map(r3),
                "openblas_coretype": env["OPENBLAS_CORETYPE"] ?? "(unset)", "winograd": Conv2dKernel.winogradEnabled,
                "precision": ComputePrecision.default.rawValue, "conv_backend": convBackend,
            ]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(model) @\(s)x\(s), \(Threads.count) threads, \(ComputePrecision.default.rawValue), convolutions on \(convBackend), BLAS kernels \(Threads.blasCoreName) (OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "unset"))")
            print(String(format: "forward: median %.2f ms, min %.2f, max %.2f over %d runs (%d warm-up)", median, sorted.first!, sorted.last!, runs, warmup))
            for (k, v) in stages.sorted(by: { $0.value > $1.value }) { print(String(format: "  %-14@ %8.2f ms", k as NSString, v)) }
        }
        if profile {
            for (i, sec) in net.sections.enumerated() {
                let shape = (try? net.shapes(for: input.shape)[i]) ?? []
                Stderr.print(String(format: "%4d %-14@ %8.3f ms  %@", i, sec.layer.kind as NSString, layerTimes[i] * 1000 / Double(runs),
                                    shape.map(String.init).joined(separator: "x") as NSString))
            }
        }
    }

    /// A torchvision detector on a synthetic 480 × 640 image: preprocessing (GeneralizedRCNNTransform, `--size` =
    /// its min_size) + network + its own post-processing, as torchvision's `model([image])` does; no decoding.
    func benchTorchvision(_ tv: TorchvisionDetector, card: ModelCard) throws {
        let pre = try Preprocess(input: card.input, size: size)
        let h = 480, w = 640
        var px = [UInt8](repeating: 0, count: h * w * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256) } } }
        let image = Image(width: w, height: h, pixels: px)
        let x = Tensor(zeros: pre.shape(for: image)), content = pre.content(for: image)
        var count = 0
        func once() throws { _ = pre.apply(image, into: x); count = try tv.network.detections(x, imageHeight: content.height, imageWidth: content.width).count }
        for _ in 0..<warmup { try once() }
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try once()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        if json {
            let obj: [String: Any] = ["model": model, "image": [h, w], "input": x.shape, "threads": Threads.count, "runs": runs,
                                      "median_ms": r3(median), "min_ms": r3(sorted.first!), "max_ms": r3(sorted.last!),
                                      "detections": count, "times_ms": times.map(r3)]
            print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(model) on a synthetic \(h)x\(w) image → input \(x.shape), \(Threads.count) threads, \(count) detections")
            print(String(format: "transform + network + postprocess: median %.2f ms, min %.2f, max %.2f over %d runs (%d warm-up)", median, sorted.first!, sorted.last!, runs, warmup))
        }
    }

    /// DETR on the synthetic 480 × 640 image: preprocessing (shorter side 800 → 800 × 1066, `--size` = that side) +
    /// backbone + transformer + heads + post-processing, as HF's processor + `model(**inputs)` +
    /// `post_process_object_detection`; with the backbone's and the attention kernel's share (the kernel's calls of
    /// one pass timed alone at the same geometries).
    func benchDETR(_ d: DETR, card: ModelCard) throws {
        let pre = try Preprocess(input: card.input, size: size)
        let h = 480, w = 640
        var px = [UInt8](repeating: 0, count: h * w * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256) } } }
        let image = Image(width: w, height: h, pixels: px)
        let x = Tensor(zeros: pre.shape(for: image))
        var count = 0, c5: [Int] = []
        func once() throws {
            _ = pre.apply(image, into: x)
            var collector = CandidateCollector(confidence: 0.5, limit: 1000)
            try d.candidates(x, into: &collector)
            count = collector.detectionsInOfferOrder().count
        }
        func timed(_ body: () throws -> Void) throws -> [Double] {
            for _ in 0..<warmup { try body() }
            var ts: [Double] = []
            for _ in 0..<runs {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                ts.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            return ts
        }
        func median(_ t: [Double]) -> Double { let s = t.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        let times = try timed(once)
        // The backbone alone, and the attention kernel alone at this pass's geometries.
        c5 = try d.forward(x).features.shape
        guard let backbone = d.backbone else { throw ValidationError("\(model): no backbone") }
        let arena = TensorArena(), ws = Workspace()
        let backboneTimes = try timed { arena.reset(); _ = try backbone(x, ForwardContext(arena: arena, workspace: ws, inputShape: x.shape)) }
        let cfg = d.transformer.config, cells = c5[2] * c5[3], dm = cfg.dModel, hd = dm / cfg.heads
        let big = Tensor(zeros: [max(cells, cfg.numQueries) * dm]), o = Tensor(zeros: [max(cells, cfg.numQueries) * dm])
        for i in 0..<big.count { big.pointer[i] = Float(i % 97) / 97 - 0.5 }
        let enc = AttentionGeometry(batch: 1, heads: cfg.heads, queries: cells, keys: cells, headDim: hd)
        let dself = AttentionGeometry(batch: 1, heads: cfg.heads, queries: cfg.numQueries, keys: cfg.numQueries, headDim: hd)
        let cross = AttentionGeometry(batch: 1, heads: cfg.heads, queries: cfg.numQueries, keys: cells, headDim: hd)
        let attentionTimes = try timed {
            for _ in 0..<cfg.encoderLayers { FlashAttention.attention(enc, q: big.pointer, k: big.pointer, v: big.pointer, o: o.pointer, workspace: ws) }
            for _ in 0..<cfg.decoderLayers {
                FlashAttention.attention(dself, q: big.pointer, k: big.pointer, v: big.pointer, o: o.pointer, workspace: ws)
                FlashAttention.attention(cross, q: big.pointer, k: big.pointer, v: big.pointer, o: o.pointer, workspace: ws)
            }
        }
        let m = median(times), mb = median(backboneTimes), ma = median(attentionTimes)
        if json {
            let obj: [String: Any] = ["model": model, "image": [h, w], "input": x.shape, "c5": c5, "threads": Threads.count, "runs": runs,
                                      "median_ms": r3(m), "min_ms": r3(times.min()!), "max_ms": r3(times.max()!),
                                      "backbone_ms": r3(mb), "attention_ms": r3(ma), "detections": count, "times_ms": times.map(r3),
                                      "conv_backend": convBackend]
            print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(model) on a synthetic \(h)x\(w) image → input \(x.shape), C5 \(c5), \(Threads.count) threads, \(count) detections ≥ 0.5")
            print(String(format: "preprocess + network + postprocess: median %.2f ms, min %.2f, max %.2f over %d runs (%d warm-up)", m, times.min()!, times.max()!, runs, warmup))
            print(String(format: "  backbone alone %.1f ms (%.0f %%); attention kernel alone at the pass's geometries %.1f ms (%.0f %%)", mb, mb / m * 100, ma, ma / m * 100))
        }
    }

    /// RT-DETR on the synthetic 480 × 640 image: preprocessing (stretched to 640 × 640, `--size` to change) + backbone +
    /// hybrid encoder + decoder + top-k post-processing, as `RTDetrImageProcessor` + `model(**inputs)` +
    /// `post_process_object_detection`; with the backbone's share and the attention kernels' (AIFI's tiled attention
    /// and the decoder's deformable sampling, timed alone at the pass's geometries).
    func benchRTDETR(_ d: RTDETR, card: ModelCard) throws {
        let pre = try Preprocess(input: card.input, size: size)
        let h = 480, w = 640
        var px = [UInt8](repeating: 0, count: h * w * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256) } } }
        let image = Image(width: w, height: h, pixels: px)
        let x = Tensor(zeros: pre.shape(for: image))
        var count = 0
        func once() throws {
            _ = pre.apply(image, into: x)
            var collector = CandidateCollector(confidence: 0.5, limit: 1000)
            try d.candidates(x, into: &collector)
            count = collector.detectionsInOfferOrder().count
        }
        func timed(_ body: () throws -> Void) throws -> [Double] {
            for _ in 0..<warmup { try body() }
            var ts: [Double] = []
            for _ in 0..<runs {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                ts.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            return ts
        }
        func median(_ t: [Double]) -> Double { let s = t.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        let times = try timed(once)
        let levels = try d.forward(x).decoder.levels
        let arena = TensorArena(), ws = Workspace()
        let backboneTimes = try timed { arena.reset(); _ = try d.backbone(x, ForwardContext(arena: arena, workspace: ws, inputShape: x.shape)) }
        // AIFI: self-attention over the last level's cells; decoder: self-attention over the queries + deformable sampling.
        let dm = d.encoder.dim, heads = d.encoder.aifi.layers[0].selfAttn.numHeads, last = levels[levels.count - 1]
        let q = d.decoder.queries, msda = d.decoder.layers[0].encoderAttn
        let cells = levels.reduce(0) { $0 + $1.h * $1.w }
        let big = Tensor(zeros: [max(cells, q) * dm]), o = Tensor(zeros: [max(cells, q) * dm])
        for i in 0..<big.count { big.pointer[i] = Float(i % 97) / 97 - 0.5 }
        let loc = Tensor(zeros: [q * msda.heads * msda.levels * msda.points * 2]), wts = Tensor(zeros: [q * msda.heads * msda.levels * msda.points])
        for i in 0..<loc.count { loc.pointer[i] = Float((i * 37) % 101) / 101 }
        for i in 0..<wts.count { wts.pointer[i] = 1 / Float(msda.levels * msda.points) }
        let aifiG = AttentionGeometry(batch: 1, heads: heads, queries: last.h * last.w, keys: last.h * last.w, headDim: dm / heads)
        let dd = d.decoder.dim, dh = d.decoder.layers[0].selfAttn.numHeads
        let selfG = AttentionGeometry(batch: 1, heads: dh, queries: q, keys: q, headDim: dd / dh)
        let msdaG = DeformableAttention.Geometry(batch: 1, queries: q, heads: msda.heads, headDim: dd / msda.heads, points: msda.points, levels: levels)
        let attentionTimes = try timed {
            for _ in d.encoder.aifi.layers { FlashAttention.attention(aifiG, q: big.pointer, k: big.pointer, v: big.pointer, o: o.pointer, workspace: ws) }
            for _ in d.decoder.layers {
                FlashAttention.attention(selfG, q: big.pointer, k: big.pointer, v: big.pointer, o: o.pointer, workspace: ws)
                DeformableAttention.sample(msdaG, value: big.pointer, locations: loc.pointer, weights: wts.pointer, output: o.pointer)
            }
        }
        let m = median(times), mb = median(backboneTimes), ma = median(attentionTimes)
        if json {
            let obj: [String: Any] = ["model": model, "image": [h, w], "input": x.shape, "levels": levels.map { [$0.h, $0.w] }, "threads": Threads.count,
                                      "runs": runs, "median_ms": r3(m), "min_ms": r3(times.min()!), "max_ms": r3(times.max()!),
                                      "backbone_ms": r3(mb), "attention_ms": r3(ma), "detections": count, "times_ms": times.map(r3),
                                      "conv_backend": convBackend]
            print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(model) on a synthetic \(h)x\(w) image → input \(x.shape), levels \(levels.map { "\($0.h)x\($0.w)" }), \(Threads.count) threads, \(count) detections > 0.5")
            print(String(format: "preprocess + network + postprocess: median %.2f ms, min %.2f, max %.2f over %d runs (%d warm-up)", m, times.min()!, times.max()!, runs, warmup))
            print(String(format: "  backbone alone %.1f ms (%.0f %%); attention kernels alone (AIFI tiled attention, decoder self-attention + deformable sampling) %.1f ms (%.0f %%)", mb, mb / m * 100, ma, ma / m * 100))
        }
    }

    /// Where `.auto` convolutions run: "oneDNN 2.6.3 (…)" or "own kernels".
    var convBackend: String { DNNL.active ? DNNL.description : "own kernels" }

    /// A module-built detector (`SingleStageDetector`): the forward pass (backbone → neck → head, no decoding).
    func benchComposed(_ net: SingleStageDetector, card: ModelCard) throws {
        let s = size ?? card.input.width
        guard DetectorLimits.size.contains(s), s % card.input.sizeMultiple == 0 else {
            throw ValidationError("--size must be a multiple of \(card.input.sizeMultiple) in \(DetectorLimits.size)")
        }
        let input = DarknetBenchInput.synthetic(channels: 3, height: s, width: s)
        // Pixels in the model's value range: 0–255 for models without scaling (YOLOX), 0–1 for those taking /255.
        let scale = 1 / card.input.scale, p = input.pointer
        for i in 0..<input.count { p[i] *= scale }
        for _ in 0..<warmup { _ = try net.forward(input) }
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try net.forward(input)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        let env = ProcessInfo.processInfo.environment
        if json {
            let obj: [String: Any] = [
                "model": model, "size": s, "threads": Threads.count, "runs": runs,
                "median_ms": r3(median), "min_ms": r3(sorted.first!), "max_ms": r3(sorted.last!),
                "blas_core": Threads.blasCoreName, "times_ms": times.map(r3),
                "openblas_coretype": env["OPENBLAS_CORETYPE"] ?? "(unset)",
                "precision": ComputePrecision.default.rawValue, "conv_backend": convBackend,
            ]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(model) @\(s)x\(s), \(Threads.count) threads, \(ComputePrecision.default.rawValue), convolutions on \(convBackend), BLAS kernels \(Threads.blasCoreName) (OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "unset"))")
            print(String(format: "forward: median %.2f ms, min %.2f, max %.2f over %d runs (%d warm-up)", median, sorted.first!, sorted.last!, runs, warmup))
        }
    }

    /// A face detector: a module-built one's forward pass (`benchComposed`), a cascade's whole `detect` on a
    /// synthetic image (640 × 480, or `--size` square); a face embedder: the network's forward pass on a
    /// synthetic chip of its input size, preprocessed once (`embed` for embedders without a tensor forward).
    func benchFace(_ card: ModelCard) throws {
        let run: () throws -> Void
        let shape: String
        func synthetic(_ w: Int, _ h: Int) -> Image {
            let t = DarknetBenchInput.synthetic(channels: 3, height: h, width: w)
            var img = Image(width: w, height: h, fill: (0, 0, 0))
            img.pixels.withUnsafeMutableBufferPointer { px in
                for y in 0..<h { for x in 0..<w { for c in 0..<3 {
                    px[(y * w + x) * 3 + c] = UInt8(min(255, t.pointer[(c * h + y) * w + x] * 255))
                } } }
            }
            return img
        }
        switch card.task {
        case .faceDetection:
            let d = try FaceModelFactory.detector(card.name)
            // Module-built face detectors: the network's forward pass, as every composed detector.
            if let composed = d as? SingleStageFaceDetector { return try benchComposed(composed.network, card: card) }
            // Cascades like MTCNN have no fixed input: a 640 × 480 photo-sized image unless --size is given.
            let img = size.map { synthetic($0, $0) } ?? (card.input.width >= 160 ? synthetic(card.input.width, card.input.height) : synthetic(640, 480))
            run = { _ = try d.detect(img) }
            shape = "\(img.width)x\(img.height) image"
        case .faceEmbedding:
            let e = try FaceModelFactory.embedder(card.name)
            let chip = synthetic(e.inputSize.width, e.inputSize.height)
            // The network's forward pass on the preprocessed chip where the embedder exposes it, else `embed`.
            switch e {
            case let net as SFace: let x = try net.preprocess([chip]); run = { _ = net(x) }
            case let net as MobileFaceNet: let x = try net.preprocess([chip]); run = { _ = net(x) }
            case let net as IResNet: let x = try net.preprocess([chip]); run = { _ = net(x) }
            default: run = { _ = try e.embed(chip) }
            }
            shape = "\(chip.width)x\(chip.height) chip"
        case .detection:
            throw ValidationError("\(card.name): no benchmark path")
        }
        for _ in 0..<warmup { try run() }
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try run()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        if json {
            let obj: [String: Any] = ["model": model, "input": shape, "threads": Threads.count, "runs": runs,
                                      "precision": ComputePrecision.default.rawValue, "conv_backend": convBackend,
                                      "median_ms": r3(median), "min_ms": r3(sorted.first!), "max_ms": r3(sorted.last!),
                                      "times_ms": times.map(r3)]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(model) (\(card.task.rawValue)) on a synthetic \(shape), \(Threads.count) threads")
            print(String(format: "median %.2f ms, min %.2f, max %.2f over %d runs (%d warm-up)", median, sorted.first!, sorted.last!, runs, warmup))
        }
    }

    func r3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}

/// The deterministic benchmark/parity input (same formula as scripts/make_darknet_fixtures.py `synthetic_input`).
enum DarknetBenchInput {
    static func synthetic(channels: Int, height: Int, width: Int) -> Tensor {
        let t = Tensor(zeros: [1, channels, height, width])
        let p = t.pointer
        for c in 0..<channels { for y in 0..<height { for x in 0..<width {
            let k = (37 * x + 91 * y + 53 * c + (x * y) % 97 + 29 * ((x >> 3) ^ (y >> 3))) % 256
            p[(c * height + y) * width + x] = Float(k) / 255
        } } }
        return t
    }
}
