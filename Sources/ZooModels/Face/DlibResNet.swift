import Foundation
import ZooImage
import ZooNN

/// dlib's face recognition network: a 29-layer ResNet taking a 150×150 RGB chip to a 128-D descriptor.
///
/// Port of `anet_type` in dlib's examples/dnn_face_recognition_ex.cpp (weights
/// `dlib_face_recognition_resnet_model_v1.dat`, read by `DlibNetFile`):
/// `input_rgb_image_sized<150>` ((v − mean[c]) / 256, R G B planes) → con 7×7/2 (32) → affine → relu →
/// max_pool 3×3/2 → 3 × ares(32) → ares_down(64) + 3 × ares(64) → ares_down(128) + 2 × ares(128) →
/// ares_down(256) + 2 × ares(256) → ares_down(256) → global average → fc 128 (no bias).
/// `ares`: relu(x + affine(con3×3(relu(affine(con3×3(x)))))); `ares_down`: the first con has stride 2 and the
/// shortcut is avg_pool 2×2/2 of x. dlib's `add_prev` adds tensors of different shapes by zero-padding the smaller
/// (channels 32→64 and, in the last blocks, a 3×3 block output onto a 4×4 pooled shortcut), which `addPadded`
/// reproduces. Every `affine` (inference batch norm) is folded into the preceding convolution at load.
/// Tensors are `N, C, H, W`.
public final class DlibResNet: FaceEmbedder, @unchecked Sendable {
    public let name = "dlib-resnet"
    public let inputSize = (width: 150, height: 150)
    public let template = FaceAligner.dlib150

    struct Block { var conv1: Conv2d; var conv2: Conv2d; var shortcutPool: AvgPool2d? }
    let average: [Float]
    let stem: Conv2d
    let pool: MaxPool2d
    let blocks: [Block]
    let fc: Linear

    /// Loads `dlib_face_recognition_resnet_model_v1.dat`.
    public convenience init(contentsOf url: URL) throws {
        try self.init(file: DlibNetFile.load(contentsOf: url), label: url.path)
    }

    /// Builds the network from a parsed file, checking that its layer sequence is this architecture.
    public init(file: DlibNetFile, label: String = "dlib net") throws {
        var layers = file.layers[...]
        func fail(_ m: String) -> DlibFormatError { DlibFormatError(file: label, m) }
        func next() throws -> DlibLayer {
            guard let l = layers.popFirst() else { throw fail("the file ends before the face recognition ResNet does") }
            return l
        }
        guard file.loss.hasPrefix("loss_metric") else { throw fail("loss \(file.loss) is not loss_metric") }
        guard case .inputRGB(let avg, let rows, let cols) = try next(), rows == 150, cols == 150 else {
            throw fail("expected input_rgb_image_sized<150>")
        }
        average = avg
        /// con followed by affine (folded), optionally relu.
        func convAffine(relu: Bool) throws -> Conv2d {
            guard case .conv(let w, let b, let stride, let padding) = try next() else { throw fail("expected con_ layer") }
            guard case .affine(let gamma, let beta, true) = try next(), gamma.count == w.shape[0] else {
                throw fail("expected a conv-mode affine_ layer of \(w.shape[0]) channels")
            }
            var c = Conv2d(inChannels: w.shape[1], outChannels: w.shape[0], kernel: (w.shape[2], w.shape[3]),
                           stride: (stride.y, stride.x), padding: Padding(h: padding.y, w: padding.x),
                           activation: relu ? .relu : .linear)
            let folded = w.copy(), per = w.count / w.shape[0]
            let bias = Tensor(zeros: [w.shape[0]])
            for o in 0..<w.shape[0] {
                let g = gamma.pointer[o]
                for i in 0..<per { folded.pointer[o * per + i] *= g }
                bias.pointer[o] = (b?.pointer[o] ?? 0) * g + beta.pointer[o]
            }
            c.weight = folded
            c.bias = bias
            if relu { guard case .relu = try next() else { throw fail("expected relu_ after con_/affine_") } }
            return c
        }
        stem = try convAffine(relu: true)
        guard case .maxPool(let win, let st, let pad) = try next() else { throw fail("expected max_pool_ after the stem") }
        pool = MaxPool2d(kernel: (win.y, win.x), stride: (st.y, st.x), padding: Padding(h: pad.y, w: pad.x))
        var blocks: [Block] = []
        while true {
            guard let first = layers.first else { throw fail("the file ends inside the residual blocks") }
            if case .avgPool(let w, _, _) = first, w.y == 0 && w.x == 0 { layers.removeFirst(); break }   // global average
            let c1 = try convAffine(relu: true)
            let c2 = try convAffine(relu: false)
            var shortcut: AvgPool2d?
            switch try next() {
            case .avgPool(let w, let s, let p):   // ares_down: pooled shortcut
                shortcut = AvgPool2d(kernel: (w.y, w.x), stride: (s.y, s.x), padding: Padding(h: p.y, w: p.x))
                guard case .addPrev = try next() else { throw fail("expected add_prev_ after the shortcut avg_pool_") }
            case .addPrev: break                   // ares: identity shortcut
            case let other: throw fail("expected add_prev_ or avg_pool_ in a residual block, found \(other.name)")
            }
            guard case .relu = try next() else { throw fail("expected relu_ after add_prev_") }
            blocks.append(Block(conv1: c1, conv2: c2, shortcutPool: shortcut))
        }
        self.blocks = blocks
        guard case .fc(let w, let b, let inputs, let outputs) = try next(), b == nil, inputs == blocks.last?.conv2.outChannels else {
            throw fail("expected fc_ without bias after the global average pool")
        }
        guard layers.isEmpty else { throw fail("unexpected layers after fc_") }
        var fc = Linear(inFeatures: inputs, outFeatures: outputs, bias: false)
        let t = Tensor(zeros: [outputs, inputs])   // dlib stores [inputs, outputs]
        for i in 0..<inputs { for o in 0..<outputs { t.pointer[o * inputs + i] = w.pointer[i * outputs + o] } }
        fc.weight = t
        self.fc = fc
        guard blocks.count == 14 else { throw fail("expected 14 residual blocks, found \(blocks.count)") }
    }

    /// dlib's raw 128-D descriptor for a 150×150 RGB chip (not normalised; dlib compares Euclidean distances).
    public func descriptor(_ chip: Image) throws -> [Float] {
        guard chip.width == 150, chip.height == 150 else {
            throw DlibFormatError(file: name, "chip is \(chip.width)x\(chip.height), expected 150x150")
        }
        let ws = Workspace()
        let x = Tensor(zeros: [1, 3, 150, 150])
        chip.pixels.withUnsafeBufferPointer { px in
            let plane = 150 * 150
            for i in 0..<plane {
                for c in 0..<3 { x.pointer[c * plane + i] = (Float(px[3 * i + c]) - average[c]) / 256 }
            }
        }
        var t = forward(stem, x, ws)
        t = forward(pool, t, ws)
        for b in blocks {
            let y = forward(b.conv2, forward(b.conv1, t, ws), ws)
            let s = b.shortcutPool.map { forward($0, t, ws) } ?? t
            t = DlibResNet.addPadded(y, s, relu: true)
        }
        let c = t.shape[1], hw = t.shape[2] * t.shape[3]
        let pooled = Tensor(zeros: [1, c])
        for ch in 0..<c {
            var s: Float = 0
            for i in 0..<hw { s += t.pointer[ch * hw + i] }
            pooled.pointer[ch] = s / Float(hw)
        }
        return forward(fc, pooled, ws).toArray()
    }

    /// The descriptor scaled to unit length (for cosine similarity).
    public func embed(_ chip: Image) throws -> [Float] {
        let d = try descriptor(chip)
        let n = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return n > 0 ? d.map { $0 / n } : d
    }

    private func forward<L: Layer>(_ layer: L, _ x: Tensor, _ ws: Workspace) -> Tensor {
        let y = Tensor(zeros: layer.outputShape(for: x.shape))
        layer.forward(x, into: y, workspace: ws)
        return y
    }

    /// dlib's `add_prev` (`tt::add`): the result has the larger of each dimension, elements outside a tensor
    /// count as zero; then relu. `N, C, H, W`.
    static func addPadded(_ a: Tensor, _ b: Tensor, relu: Bool) -> Tensor {
        precondition(a.rank == 4 && b.rank == 4 && a.shape[0] == b.shape[0])
        let n = a.shape[0], c = max(a.shape[1], b.shape[1]), h = max(a.shape[2], b.shape[2]), w = max(a.shape[3], b.shape[3])
        let out = Tensor(zeros: [n, c, h, w])
        for t in [a, b] {
            let (tc, th, tw) = (t.shape[1], t.shape[2], t.shape[3])
            for i in 0..<n { for ch in 0..<tc { for y in 0..<th {
                let src = t.pointer + ((i * tc + ch) * th + y) * tw
                let dst = out.pointer + ((i * c + ch) * h + y) * w
                for x in 0..<tw { dst[x] += src[x] }
            } } }
        }
        if relu { for i in 0..<out.count where out.pointer[i] < 0 { out.pointer[i] = 0 } }
        return out
    }
}
