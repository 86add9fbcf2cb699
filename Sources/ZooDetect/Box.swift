/// An axis-aligned box in pixels, given by its corners: (x1, y1) top-left, (x2, y2) bottom-right.
public struct Box: Hashable, Codable, Sendable {
    public var x1: Float
    public var y1: Float
    public var x2: Float
    public var y2: Float

    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2
    }

    /// A box from its centre and size (the YOLO parameterisation).
    public init(centerX cx: Float, centerY cy: Float, width w: Float, height h: Float) {
        self.init(x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2)
    }

    public var width: Float { x2 - x1 }
    public var height: Float { y2 - y1 }
    /// Area in square pixels; 0 for an empty or inverted box.
    public var area: Float { Swift.max(0, width) * Swift.max(0, height) }
    /// `[x1, y1, x2, y2]`, the JSON form.
    public var corners: [Float] { [x1, y1, x2, y2] }

    /// Intersection over union; 0 when both boxes are empty.
    public func iou(_ other: Box) -> Float {
        let inter = intersection(other)
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }

    /// Area of the overlap of two boxes.
    public func intersection(_ other: Box) -> Float {
        let w = Swift.min(x2, other.x2) - Swift.max(x1, other.x1)
        let h = Swift.min(y2, other.y2) - Swift.max(y1, other.y1)
        return w > 0 && h > 0 ? w * h : 0
    }

    /// The box clipped to an image of the given size (coordinates in `0...width`, `0...height`).
    public func clipped(width: Float, height: Float) -> Box {
        Box(x1: Swift.min(Swift.max(x1, 0), width), y1: Swift.min(Swift.max(y1, 0), height),
            x2: Swift.min(Swift.max(x2, 0), width), y2: Swift.min(Swift.max(y2, 0), height))
    }
}
