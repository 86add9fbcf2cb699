import Foundation
import ZooImage

/// Draws precision/recall curves into a PNG with ZooImage's drawing: the first curve thick and black (overall),
/// the others thin in the class palette, and a legend with each curve's AP.
public enum PRCurvePlot {
    /// Renders `curves` (the first is drawn as the overall curve) into an RGB image.
    public static func render(_ curves: [PRCurve], title: String) -> Image {
        let plot = 560, left = 70, top = 50, legendX = left + plot + 40
        let lineH = BitmapFont.cellHeight + 4
        let height = Swift.max(top + plot + 60, top + lineH * (curves.count + 2))
        var img = Image(width: legendX + 260, height: height, fill: (255, 255, 255))
        let grid: (UInt8, UInt8, UInt8) = (225, 225, 225), ink: (UInt8, UInt8, UInt8) = (0, 0, 0)
        func px(_ r: Double) -> Float { Float(left) + Float(r) * Float(plot) }
        func py(_ p: Double) -> Float { Float(top + plot) - Float(p) * Float(plot) }
        for i in 0...10 {
            let v = Double(i) / 10
            img.drawLine(x1: px(v), y1: py(0), x2: px(v), y2: py(1), color: grid)
            img.drawLine(x1: px(0), y1: py(v), x2: px(1), y2: py(v), color: grid)
            let label = String(format: "%.1f", v)
            img.drawLabel(label, x: Int(px(v)) - 9, y: top + plot + 6, color: ink, scale: 1)
            img.drawLabel(label, x: left - 28, y: Int(py(v)) - 5, color: ink, scale: 1)
        }
        img.drawLine(x1: px(0), y1: py(0), x2: px(1), y2: py(0), color: ink)
        img.drawLine(x1: px(0), y1: py(0), x2: px(0), y2: py(1), color: ink)
        img.drawLabel("recall", x: left + plot / 2 - 20, y: top + plot + 22, color: ink, scale: 2)
        img.drawLabel("precision", x: 4, y: top - 18, color: ink, scale: 1)
        img.drawLabel(title, x: left + (plot - BitmapFont.textSize(title, scale: 2).width) / 2, y: 6, color: ink, scale: 2)
        img.drawLabel("AP at IoU 0.5", x: legendX, y: top - lineH - 4, color: ink, scale: 1)
        // Class curves first, the overall one on top.
        for (n, c) in curves.enumerated().reversed() {
            let color = n == 0 ? ink : ColorPalette.color(forClass: n - 1)
            let thick = n == 0 ? 3 : 1
            // The envelope holds its first precision back to recall 0.
            var prev: (Float, Float)? = c.precision.first.map { (px(0), py($0)) }
            for (r, p) in zip(c.recall, c.precision) {
                let pt = (px(r), py(p))
                if let q = prev {
                    // Step: precision holds until the next recall value.
                    img.drawLine(x1: q.0, y1: q.1, x2: pt.0, y2: q.1, color: color, thickness: thick)
                    img.drawLine(x1: pt.0, y1: q.1, x2: pt.0, y2: pt.1, color: color, thickness: thick)
                }
                prev = pt
            }
            let y = top + n * lineH
            img.fillRect(x: legendX, y: y + 1, width: 14, height: n == 0 ? 6 : 4, color: color)
            let name = c.name.count > 24 ? String(c.name.prefix(23)) + "~" : c.name
            img.drawLabel(name + " " + (c.ap < 0 ? "-" : String(format: "%.3f", c.ap)), x: legendX + 20, y: y - 1, color: ink, scale: 1)
        }
        return img
    }

    /// Renders and writes a PNG.
    public static func write(_ curves: [PRCurve], title: String, to url: URL) throws {
        let img = render(curves, title: title)
        do { try ImageEncoder.png(img, name: url.path).write(to: url) } catch {
            throw EvalError.unreadable(file: url.path, reason: "cannot write PNG: \(error)")
        }
    }
}
