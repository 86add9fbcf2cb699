import Foundation
import ZooImage

/// Draws precision/recall curves a person can read: "all" (the first curve) thick and black, the classes with
/// the most ground-truth boxes (at most `maxClasses`) in ten distinct colours (matplotlib's tab10) with 2 px
/// lines, and a legend with each curve's AP and box count; the classes left out are counted in the title.
/// Renders PNG (ZooImage drawing) and SVG (the same selection, as vector paths).
public enum PRCurvePlot {
    /// matplotlib's tab10 palette.
    static let palette: [(UInt8, UInt8, UInt8)] = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                                                   (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
    public static let maxClasses = 10

    /// "all" then the `maxClasses` classes with most ground truth (ties: higher AP first), and how many were left out.
    static func selection(_ curves: [PRCurve]) -> (shown: [PRCurve], omitted: Int) {
        guard let all = curves.first else { return ([], 0) }
        let classes = curves.dropFirst().enumerated()
            .sorted { ($0.element.gtCount, $0.element.ap, -$0.offset) > ($1.element.gtCount, $1.element.ap, -$1.offset) }
            .map(\.element)
        let shown = Array(classes.prefix(maxClasses))
        return ([all] + shown, classes.count - shown.count)
    }

    static func color(_ n: Int) -> (UInt8, UInt8, UInt8) { n == 0 ? (0, 0, 0) : palette[(n - 1) % palette.count] }

    /// The step polyline of a curve: precision holds until the next recall value (recall 0 holds the first).
    static func steps(_ c: PRCurve) -> [(Double, Double)] {
        guard let first = c.precision.first else { return [] }
        var pts: [(Double, Double)] = [(0, first)]
        var last = first
        for (r, p) in zip(c.recall, c.precision) {
            pts.append((r, last)); pts.append((r, p)); last = p
        }
        return pts
    }

    static func legend(_ c: PRCurve) -> String {
        let name = c.name.count > 24 ? String(c.name.prefix(23)) + "~" : c.name
        return name + " " + (c.ap < 0 ? "-" : String(format: "%.3f", c.ap)) + " (\(c.gtCount))"
    }

    static func heading(_ title: String, omitted: Int) -> String {
        omitted > 0 ? "\(title): all + top \(maxClasses) classes by boxes (\(omitted) more not drawn)" : title
    }

    /// Renders `curves` (the first is the overall curve) into an RGB image.
    public static func render(_ curves: [PRCurve], title: String) -> Image {
        let (shown, omitted) = selection(curves)
        let plot = 560, left = 70, top = 60, legendX = left + plot + 40
        let lineH = BitmapFont.cellHeight * 2 + 6
        let height = Swift.max(top + plot + 60, top + lineH * (shown.count + 2))
        var img = Image(width: legendX + 330, height: height, fill: (255, 255, 255))
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
        let head = heading(title, omitted: omitted)
        img.drawLabel(head, x: Swift.max(4, left + (plot - BitmapFont.textSize(head, scale: 2).width) / 2), y: 8, color: ink, scale: 2)
        img.drawLabel("AP at IoU 0.5 (boxes)", x: legendX, y: top - lineH + 4, color: ink, scale: 2)
        // Class curves first, the overall one on top.
        for (n, c) in shown.enumerated().reversed() {
            let color = color(n)
            let pts = steps(c)
            for (a, b) in zip(pts, pts.dropFirst()) {
                img.drawLine(x1: px(a.0), y1: py(a.1), x2: px(b.0), y2: py(b.1), color: color, thickness: n == 0 ? 4 : 2)
            }
            let y = top + n * lineH
            img.fillRect(x: legendX, y: y + 4, width: 18, height: n == 0 ? 6 : 4, color: color)
            img.drawLabel(legend(c), x: legendX + 24, y: y, color: ink, scale: 2)
        }
        return img
    }

    /// The same plot as SVG (vector: zoomable, every curve a `<path>` with a `<title>`).
    public static func svg(_ curves: [PRCurve], title: String) -> String {
        let (shown, omitted) = selection(curves)
        let plot = 560.0, left = 70.0, top = 60.0, legendX = left + plot + 40, lineH = 24.0
        let height = Swift.max(top + plot + 60, top + lineH * Double(shown.count + 2))
        func px(_ r: Double) -> String { String(format: "%.2f", left + r * plot) }
        func py(_ p: Double) -> String { String(format: "%.2f", top + plot - p * plot) }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        func rgb(_ c: (UInt8, UInt8, UInt8)) -> String { "rgb(\(c.0),\(c.1),\(c.2))" }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(legendX + 330))" height="\(Int(height))" font-family="sans-serif" font-size="13">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(left))" y="24" font-size="16">\(esc(heading(title, omitted: omitted)))</text>

        """
        for i in 0...10 {
            let v = Double(i) / 10
            s += "<line x1=\"\(px(v))\" y1=\"\(py(0))\" x2=\"\(px(v))\" y2=\"\(py(1))\" stroke=\"#e1e1e1\"/>"
            s += "<line x1=\"\(px(0))\" y1=\"\(py(v))\" x2=\"\(px(1))\" y2=\"\(py(v))\" stroke=\"#e1e1e1\"/>\n"
            s += "<text x=\"\(px(v))\" y=\"\(Int(top + plot + 18))\" text-anchor=\"middle\">\(String(format: "%.1f", v))</text>"
            s += "<text x=\"\(Int(left - 8))\" y=\"\(py(v))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(String(format: "%.1f", v))</text>\n"
        }
        s += "<line x1=\"\(px(0))\" y1=\"\(py(0))\" x2=\"\(px(1))\" y2=\"\(py(0))\" stroke=\"black\"/>"
        s += "<line x1=\"\(px(0))\" y1=\"\(py(0))\" x2=\"\(px(0))\" y2=\"\(py(1))\" stroke=\"black\"/>\n"
        s += "<text x=\"\(px(0.5))\" y=\"\(Int(top + plot + 40))\" text-anchor=\"middle\" font-size=\"15\">recall</text>"
        s += "<text x=\"16\" y=\"\(py(0.5))\" transform=\"rotate(-90 16 \(py(0.5)))\" text-anchor=\"middle\" font-size=\"15\">precision</text>\n"
        s += "<text x=\"\(Int(legendX))\" y=\"\(Int(top - 10))\">AP at IoU 0.5 (boxes)</text>\n"
        for (n, c) in shown.enumerated().reversed() {
            let d = steps(c).enumerated().map { ($0.offset == 0 ? "M" : "L") + px($0.element.0) + " " + py($0.element.1) }.joined(separator: " ")
            s += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(rgb(color(n)))\" stroke-width=\"\(n == 0 ? 4 : 2)\"><title>\(esc(legend(c)))</title></path>\n"
            let y = top + Double(n) * lineH
            s += "<rect x=\"\(Int(legendX))\" y=\"\(Int(y + 6))\" width=\"18\" height=\"\(n == 0 ? 6 : 4)\" fill=\"\(rgb(color(n)))\"/>"
            s += "<text x=\"\(Int(legendX + 24))\" y=\"\(Int(y + 12))\">\(esc(legend(c)))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Writes a PNG (or SVG when `url` ends in .svg) and the other format beside it.
    public static func write(_ curves: [PRCurve], title: String, to url: URL) throws {
        let png = url.pathExtension.lowercased() == "svg" ? url.deletingPathExtension().appendingPathExtension("png") : url
        let svgURL = png.deletingPathExtension().appendingPathExtension("svg")
        do {
            try ImageEncoder.png(render(curves, title: title), name: png.path).write(to: png)
            try Data(svg(curves, title: title).utf8).write(to: svgURL)
        } catch {
            throw EvalError.unreadable(file: url.path, reason: "cannot write the plot: \(error)")
        }
    }
}
