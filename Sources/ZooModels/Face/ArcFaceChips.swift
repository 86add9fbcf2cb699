import ZooImage
import ZooNN

/// The input/output contract shared by the recognisers that take ArcFace-template chips (MobileFaceNet, IResNet,
/// SFace): aligned 112×112 RGB `Image`s in, `[N, 3, 112, 112]` planes to the network, `[N, E]` out, L2-normalised.
enum ArcFaceChips {
    static let side = 112

    /// `[chips.count, 3, 112, 112]` planes, plane `c` = channel `order[c]`, `value = (v − mean) / std`, through
    /// ZooImage's one preprocessing routine. Throws naming `model` when a chip is not 112×112.
    static func planes(_ chips: [Image], model: String, order: PixelOrder, mean: Float, std: Float) throws -> Tensor {
        let plane = side * side
        let x = Tensor(zeros: [chips.count, 3, side, side])
        let p = x.pointer
        for (n, chip) in chips.enumerated() {
            guard chip.width == side, chip.height == side else {
                throw FaceInputError.badInput("\(model) needs \(side)×\(side) chips, got \(chip.width)×\(chip.height)")
            }
            chip.writePlanar(into: p + n * 3 * plane, order: order, mean: (mean, mean, mean), std: (std, std, std))
        }
        return x
    }

    /// Rows of a `[count, size]` network output, each L2-normalised.
    static func embeddings(_ y: Tensor, count: Int, size: Int) -> [[Float]] {
        (0..<count).map { FaceEmbeddingMath.l2Normalised(Array(UnsafeBufferPointer(start: y.pointer + $0 * size, count: size))) }
    }
}
