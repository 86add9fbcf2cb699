import ZooNN

/// One darknet cfg section turned into one of our modules.
///
/// Shapes are per image, `C, H, W`; tensors flowing between layers are `N, C, H, W`.
public enum DarknetLayer {
    /// `[convolutional]`: convolution with batch norm folded in and the activation fused.
    case convolutional(Conv2d)
    /// `[maxpool]`: max pooling with darknet's padding (`padding/2` before, the rest after).
    case maxpool(DarknetMaxPool)
    /// `[avgpool]`: darknet's global average pool to `C, 1, 1`.
    case avgpool(AdaptiveAvgPool2d)
    /// `[upsample]`: nearest-neighbour upsampling by an integer stride.
    case upsample(Upsample)
    /// `[route]`: concatenation along channels of absolute layer indices, each input cut to its
    /// `groupID`-th of `groups` channel groups (yolov4-tiny's CSP split).
    case route(layers: [Int], groups: Int, groupID: Int)
    /// `[shortcut]`: element-wise sum of the previous layer and the absolute layer indices `from`, then `activation`.
    case shortcut(from: [Int], activation: Activation)
    /// `[dropout]`: identity at inference.
    case dropout
    /// `[yolo]`: box decoding head; its output is `N, H·W·A, 5+C` (see `YoloLayer`).
    case yolo(YoloLayer)

    /// Whether layer `i` of this kind reuses another layer's buffer instead of its own (a dropout after the
    /// first layer: its input's; a single-input ungrouped route: that layer's). The plan and the memory budget
    /// both follow this rule (`DarknetBlueprint.isAlias` is the same rule before layers exist).
    public func aliasesInput(at i: Int) -> Bool {
        switch self {
        case .dropout: return i > 0
        case .route(let l, let g, _): return l.count == 1 && g == 1
        default: return false
        }
    }

    /// The darknet section name, e.g. `convolutional`.
    public var kind: String {
        switch self {
        case .convolutional: return "convolutional"
        case .maxpool: return "maxpool"
        case .avgpool: return "avgpool"
        case .upsample: return "upsample"
        case .route: return "route"
        case .shortcut: return "shortcut"
        case .dropout: return "dropout"
        case .yolo: return "yolo"
        }
    }
}
