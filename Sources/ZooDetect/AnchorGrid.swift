import Foundation

/// The anchor points of a dense detector's feature pyramid, in the order its flattened outputs list them: level by
/// level (stride `s`), cells row-major over `⌈H/s⌉ × ⌈W/s⌉`, `perCell` anchors per cell. Shared by the face heads
/// (YuNet: 1 per cell, SCRFD: 2, RetinaFace: 2 priors) and usable by any anchor-point head.
public struct AnchorGrid: Sendable, Equatable {
    public struct Level: Sendable, Equatable {
        public var stride: Int, rows: Int, cols: Int, perCell: Int
        /// Anchors of the level: `rows · cols · perCell`.
        public var count: Int { rows * cols * perCell }
    }
    public let levels: [Level]

    public init(strides: [Int], perCell: Int, inputHeight: Int, inputWidth: Int) {
        levels = strides.map { s in
            Level(stride: s, rows: (inputHeight + s - 1) / s, cols: (inputWidth + s - 1) / s, perCell: perCell)
        }
    }

    /// Anchors over every level.
    public var count: Int { levels.reduce(0) { $0 + $1.count } }

    /// Visits every anchor in output order: `body(level, levelIndex, row, col, anchor, index)` with `index` the
    /// position within the level's own output (`(row · cols + col) · perCell + anchor`) and `offset + index` the
    /// position in all levels' concatenation (`offset` = anchors of the levels before).
    @inline(__always)
    public func forEach(_ body: (_ level: Level, _ levelIndex: Int, _ row: Int, _ col: Int, _ anchor: Int, _ index: Int, _ offset: Int) -> Void) {
        var offset = 0
        for (l, level) in levels.enumerated() {
            var i = 0
            for r in 0..<level.rows {
                for c in 0..<level.cols {
                    for a in 0..<level.perCell {
                        body(level, l, r, c, a, i, offset)
                        i += 1
                    }
                }
            }
            offset += level.count
        }
    }
}

/// Box codings of dense heads: raw regression values → box corners (pixels unless stated).
public enum BoxCoder {
    /// FCOS / GFL / SCRFD `distance2bbox`: the box whose left, top, right and bottom sides lie `l, t, r, b` from
    /// the anchor point `(x, y)`.
    @inline(__always)
    public static func fromDistances(x: Float, y: Float, _ l: Float, _ t: Float, _ r: Float, _ b: Float) -> Box {
        Box(x1: x - l, y1: y - t, x2: x + r, y2: y + b)
    }

    /// SSD `decode` (Pytorch_Retinaface `utils/box_utils.py`) with variances `(v0, v1)`: centre
    /// `prior.c + d.c · v0 · prior.size`, size `prior.size · exp(d.size · v1)`; corners `(x1, y1, x1 + w, y1 + h)`.
    /// Units are the prior's (relative to the input for RetinaFace).
    @inline(__always)
    public static func fromPrior(cx pcx: Float, cy pcy: Float, width pw: Float, height ph: Float,
                                 _ dx: Float, _ dy: Float, _ dw: Float, _ dh: Float, variances v: (Float, Float)) -> Box {
        let cx = pcx + dx * v.0 * pw, cy = pcy + dy * v.0 * ph
        let w = pw * Foundation.exp(dw * v.1), h = ph * Foundation.exp(dh * v.1)
        let x1 = cx - w / 2, y1 = cy - h / 2
        return Box(x1: x1, y1: y1, x2: x1 + w, y2: y1 + h)
    }
}
