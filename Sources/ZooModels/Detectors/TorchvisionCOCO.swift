/// torchvision's COCO category list (`_COCO_CATEGORIES`, `weights.meta["categories"]`): the 91 ids of the
/// original COCO annotation (0 = background, 11 unused ids "N/A"), and their mapping to the 80 contiguous
/// classes of `COCOClassNames`.
public enum TorchvisionCOCO {
    public static let categories = [
        "__background__", "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
        "traffic light", "fire hydrant", "N/A", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse",
        "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "N/A", "backpack", "umbrella", "N/A", "N/A", "handbag",
        "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove",
        "skateboard", "surfboard", "tennis racket", "bottle", "N/A", "wine glass", "cup", "fork", "knife", "spoon",
        "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake",
        "chair", "couch", "potted plant", "bed", "N/A", "dining table", "N/A", "N/A", "toilet", "N/A", "tv", "laptop",
        "mouse", "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "N/A",
        "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
    ]

    /// For each of the 91 ids, its index in `COCOClassNames.names`, or nil (background, "N/A").
    public static let contiguous: [Int?] = {
        var next = 0
        return categories.map { c in
            guard c != "__background__", c != "N/A" else { return nil }
            defer { next += 1 }
            return next
        }
    }()
}
