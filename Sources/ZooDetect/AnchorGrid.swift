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

