/// Channel order of a planar model input: `.rgb` puts R in plane 0, `.bgr` puts B in plane 0.
public enum PixelOrder: String, Sendable, CaseIterable {
    case rgb, bgr
}
