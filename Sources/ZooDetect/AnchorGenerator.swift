/// Anchors of an R-CNN-style detector: per feature level, `sizes × aspectRatios` boxes centred at every
/// feature-map cell's top-left input pixel.
///
/// Port of torchvision `models/detection/anchor_utils.py` `AnchorGenerator`: cell anchors
/// `round([-w, -h, w, h] / 2)` with `h = size · √ratio`, `w = size / √ratio` (aspect ratio = height / width;
/// ratio-major, size-minor order), rounded half to even like `torch.round`, in Float32; shifted by
/// `(x · stride_w, y · stride_h)` with `stride = padded image size // grid size` (integer division), locations
/// row-major and the cell anchors innermost.
public struct AnchorGenerator: Sendable {
    /// Per level: the anchor sizes (input pixels) and aspect ratios.
    public var sizes: [[Float]]
    public var aspectRatios: [[Float]]

    public init(sizes: [[Float]], aspectRatios: [[Float]]) {
        self.sizes = sizes; self.aspectRatios = aspectRatios
    }

    /// torchvision's Faster R-CNN FPN default: sizes 32…512, one per level, ratios 0.5, 1, 2 on every level.
    public static let fasterRCNNFPN = AnchorGenerator(sizes: [[32], [64], [128], [256], [512]],
                                                      aspectRatios: Array(repeating: [0.5, 1, 2], count: 5))

    /// Anchors per feature-map location, per level.
    public var anchorsPerLocation: [Int] { zip(sizes, aspectRatios).map { $0.count * $1.count } }

    /// The zero-centred cell anchors of `level`: `anchorsPerLocation[level] × [x1, y1, x2, y2]`.
    public func cellAnchors(level: Int) -> [Box] {
        var out: [Box] = []
        for r in aspectRatios[level] {
            let h = r.squareRoot(), w = 1 / h
            for s in sizes[level] {
                let ws = w * s, hs = h * s
                out.append(Box(x1: (-ws / 2).rounded(.toNearestOrEven), y1: (-hs / 2).rounded(.toNearestOrEven),
                               x2: (ws / 2).rounded(.toNearestOrEven), y2: (hs / 2).rounded(.toNearestOrEven)))
            }
        }
        return out
    }

    /// All anchors of `level` for a `gridHeight × gridWidth` map of an `imageHeight × imageWidth` (padded)
    /// input: `gridHeight · gridWidth · anchorsPerLocation[level]` boxes, location-major.
    public func anchors(level: Int, gridHeight: Int, gridWidth: Int, imageHeight: Int, imageWidth: Int) -> [Box] {
        guard gridHeight > 0, gridWidth > 0 else { return [] }
        let sy = Float(imageHeight / gridHeight), sx = Float(imageWidth / gridWidth)
        let cell = cellAnchors(level: level)
        var out: [Box] = []
        out.reserveCapacity(gridHeight * gridWidth * cell.count)
        for y in 0..<gridHeight {
            for x in 0..<gridWidth {
                let dx = Float(x) * sx, dy = Float(y) * sy
                for a in cell { out.append(Box(x1: dx + a.x1, y1: dy + a.y1, x2: dx + a.x2, y2: dy + a.y2)) }
            }
        }
        return out
    }
}
