/// Zero (or -inf, for max pooling) padding added around the spatial dimensions `H, W` of an `N, C, H, W` tensor.
///
/// Sides may differ (ONNX `pads`, darknet's `maxpool` with even kernels need asymmetric padding).
public struct Padding: Equatable, Hashable, Sendable {
    public var top: Int, left: Int, bottom: Int, right: Int

    /// Padding with each side given explicitly.
    public init(top: Int, left: Int, bottom: Int, right: Int) {
        precondition(top >= 0 && left >= 0 && bottom >= 0 && right >= 0, "negative padding")
        self.top = top; self.left = left; self.bottom = bottom; self.right = right
    }
    /// The same padding `p` on all four sides.
    public init(_ p: Int) { self.init(top: p, left: p, bottom: p, right: p) }
    /// `h` rows above and below, `w` columns left and right (PyTorch's `padding=(h, w)`).
    public init(h: Int, w: Int) { self.init(top: h, left: w, bottom: h, right: w) }
    /// No padding.
    public static let zero = Padding(0)
}
