import Foundation

/// Distinct, stable colours for class ids (boxes and labels of class `id` always get the same colour).
///
/// Hue steps by the golden-ratio conjugate (0.618…) per id, so neighbouring ids differ strongly; saturation 0.85,
/// value 0.95, converted HSV → RGB and rounded.
public enum ColorPalette {
    public static func color(forClass id: Int) -> (UInt8, UInt8, UInt8) {
        let h = (Double(id.magnitude) * 0.618_033_988_749_895 + 0.11).truncatingRemainder(dividingBy: 1) * 6
        let s = 0.85, v = 0.95
        let i = Int(h), f = h - Double(i)
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        let (r, g, b): (Double, Double, Double)
        switch i {
        case 0: (r, g, b) = (v, t, p)
        case 1: (r, g, b) = (q, v, p)
        case 2: (r, g, b) = (p, v, t)
        case 3: (r, g, b) = (p, q, v)
        case 4: (r, g, b) = (t, p, v)
        default: (r, g, b) = (v, p, q)
        }
        return (UInt8((r * 255).rounded()), UInt8((g * 255).rounded()), UInt8((b * 255).rounded()))
    }

    /// Black or white, whichever reads better on `background` (by Rec. 601 luma).
    public static func textColor(on background: (UInt8, UInt8, UInt8)) -> (UInt8, UInt8, UInt8) {
        let luma = 0.299 * Double(background.0) + 0.587 * Double(background.1) + 0.114 * Double(background.2)
        return luma > 150 ? (0, 0, 0) : (255, 255, 255)
    }
}
