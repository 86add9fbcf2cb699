import ArgumentParser
import Dispatch
import Foundation
import ZooModels
import ZooNN

/// `vz bench detr-transformer --weights FILE`: DETR's transformer + heads (input projection → 6 encoder → 6 decoder
/// layers → class/box heads) on a random C5 feature map of the size a ResNet-50 gives for an 800 × 1066 image
/// (2048 × 25 × 34), and the share of that time spent in the attention kernel (its calls timed alone at the same
/// geometries). The backbone is not included (the torchvision ResNet lands separately).
struct BenchDETRTransformer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detr-transformer",
        abstract: "DETR transformer + heads on a 2048×25×34 feature map; attention kernel share."
    )

    @Option(help: "An HF DetrForObjectDetection safetensors file (detr-resnet50 layout; e.g. weights/detr-random/detr_resnet50_random.safetensors from scripts/make_detr_fixtures.py --full).")
    var weights: String
    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?
    @Option(help: "Timed runs, \(OptionRanges.text(OptionRanges.runs)) (the median is reported).")
    var runs = 10
    @Option(help: "Untimed warm-up runs, \(OptionRanges.text(OptionRanges.warmup)).")
    var warmup = 2
    @Option(help: "Feature map height (800-pixel side / 32 = 25).")
    var height = 25
    @Option(help: "Feature map width (1066-pixel side / 32 = 34).")
    var width = 34

    func validate() throws {
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
        try OptionRanges.check(runs, OptionRanges.runs, "runs")
        try OptionRanges.check(warmup, OptionRanges.warmup, "warmup")
        guard (1...200).contains(height), (1...200).contains(width) else { throw ValidationError("height and width must be 1...200") }
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        let card = ModelCard(name: "detr-resnet50", family: "detr", task: .detection, input: ModelInput(width: 1066, height: 800),
                             classes: 91, folder: "detr-resnet50", files: [], source: .user(note: "bench"), licence: "", accuracy: "")
        let w = try DETRCheckpoint(safetensors: URL(fileURLWithPath: weights))
        let model = try DETR.load(w, card: card, classNames: (0..<91).map { "class\($0)" }, backbone: nil, leavingBackboneKeys: true)
        let c = model.transformer.config
        var rng = SystemRandomNumberGenerator()
        let x = Tensor(zeros: [1, 2048, height, width])
        for i in 0..<x.count { x.pointer[i] = Float.random(in: 0...1, using: &rng) }
        let total = time { _ = model.forward(features: x) }
        // The attention calls of one pass at the same geometries, alone.
        let cells = height * width, d = c.dModel, hd = d / c.heads
        let big = Tensor(zeros: [max(cells, c.numQueries) * d]), o = Tensor(zeros: [max(cells, c.numQueries) * d])
        for i in 0..<big.count { big.pointer[i] = Float.random(in: -1...1, using: &rng) }
        let ws = Workspace()
        let enc = AttentionGeometry(batch: 1, heads: c.heads, queries: cells, keys: cells, headDim: hd)
        let dself = AttentionGeometry(batch: 1, heads: c.heads, queries: c.numQueries, keys: c.numQueries, headDim: hd)
        let cross = AttentionGeometry(batch: 1, heads: c.heads, queries: c.numQueries, keys: cells, headDim: hd)
        let attention = time {
            for _ in 0..<c.encoderLayers { FlashAttention.attention(enc, q: big.pointer, k: big.pointer, v: big.pointer, o: o.pointer, workspace: ws) }
            for _ in 0..<c.decoderLayers {
                FlashAttention.attention(dself, q: big.pointer, k: big.pointer, v: big.pointer, o: o.pointer, workspace: ws)
                FlashAttention.attention(cross, q: big.pointer, k: big.pointer, v: big.pointer, o: o.pointer, workspace: ws)
            }
        }
        print("DETR transformer + heads, C5 2048 × \(height) × \(width) (\(cells) tokens), d_model \(d), \(c.heads) heads, threads \(Threads.count), median of \(runs) after \(warmup) warm-up")
        print(String(format: "forward %.1f ms; attention kernel alone at the same geometries %.1f ms (%.0f %%)", total, attention, attention / total * 100))
    }

    func time(_ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var ts: [Double] = []
        for _ in 0..<max(1, runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            ts.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        ts.sort()
        return ts[ts.count / 2]
    }
}
