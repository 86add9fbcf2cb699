/// One image of a dataset: its id, file name and pixel size.
public struct EvalImage: Sendable, Equatable {
    public var id: Int
    public var fileName: String
    public var width: Int
    public var height: Int

    public init(id: Int, fileName: String, width: Int, height: Int) {
        self.id = id; self.fileName = fileName; self.width = width; self.height = height
    }
}

/// One object category of a dataset.
public struct EvalCategory: Sendable, Equatable {
    public var id: Int
    public var name: String

    public init(id: Int, name: String) { self.id = id; self.name = name }
}

/// One ground-truth box (COCO conventions: `bbox` is `x, y, width, height` in pixels).
public struct GTAnnotation: Sendable, Equatable {
    public var id: Int
    public var imageID: Int
    public var categoryID: Int
    public var x: Double, y: Double, width: Double, height: Double
    /// The annotation's `area` field (COCO: the segment area, which may differ from `width * height`);
    /// the area ranges small/medium/large are decided on this value, as pycocotools does.
    public var area: Double
    /// COCO `iscrowd`: ignored when unmatched, may match many detections, IoU uses the detection's area.
    public var isCrowd: Bool
    /// Pascal VOC `difficult`: ignored (neither true nor false positive, not counted in recall).
    public var isDifficult: Bool

    public init(id: Int, imageID: Int, categoryID: Int, x: Double, y: Double, width: Double, height: Double,
                area: Double? = nil, isCrowd: Bool = false, isDifficult: Bool = false) {
        self.id = id; self.imageID = imageID; self.categoryID = categoryID
        self.x = x; self.y = y; self.width = width; self.height = height
        self.area = area ?? width * height
        self.isCrowd = isCrowd; self.isDifficult = isDifficult
    }
}

/// A scored detection in a dataset's id space (COCO results conventions: `bbox` is `x, y, width, height`).
public struct ResultDetection: Sendable, Equatable {
    public var imageID: Int
    public var categoryID: Int
    public var x: Double, y: Double, width: Double, height: Double
    public var score: Double

    public init(imageID: Int, categoryID: Int, x: Double, y: Double, width: Double, height: Double, score: Double) {
        self.imageID = imageID; self.categoryID = categoryID
        self.x = x; self.y = y; self.width = width; self.height = height; self.score = score
    }
}

/// An annotated dataset: images, categories and ground-truth boxes, whatever format it was read from.
public struct GroundTruth: Sendable {
    public var images: [EvalImage]
    public var categories: [EvalCategory]
    public var annotations: [GTAnnotation]

    public init(images: [EvalImage], categories: [EvalCategory], annotations: [GTAnnotation]) {
        self.images = images; self.categories = categories; self.annotations = annotations
    }

    /// The category with this name (exact match), if any.
    public func category(named name: String) -> EvalCategory? { categories.first { $0.name == name } }

    /// Image ids by file name (the last path component), for matching detections made on image files.
    public var imageIDsByFileName: [String: Int] {
        var map: [String: Int] = [:]
        for image in images { map[(image.fileName as NSString).lastPathComponent] = image.id }
        return map
    }
}

import Foundation
