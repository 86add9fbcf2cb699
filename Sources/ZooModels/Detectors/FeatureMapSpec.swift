/// One feature map a backbone or neck produces, as its consumers see it (detectron2's `ShapeSpec`): a name,
/// the channel count and the stride relative to the network input. The theoretical receptive field is
/// measured, not restated: `DetectorDescription` traces a forward pass (`TensorArena.trace`).
public struct FeatureMapSpec: Sendable, Equatable, CustomStringConvertible {
    /// E.g. `dark3`, `p4`.
    public var name: String
    public var channels: Int
    /// Input pixels per feature-map cell.
    public var stride: Int

    public init(name: String, channels: Int, stride: Int) {
        self.name = name; self.channels = channels; self.stride = stride
    }

    public var description: String { "\(name) (\(channels) ch, stride \(stride))" }
}
