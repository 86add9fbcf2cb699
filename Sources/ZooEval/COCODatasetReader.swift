import Foundation

/// Reads a COCO instances file (`images`, `categories`, `annotations` with `bbox` `[x, y, w, h]`).
public enum COCODatasetReader {
    /// Reads and validates a COCO instances JSON file. `area` defaults to `w * h` when absent, `iscrowd` to 0.
    public static func read(_ url: URL) throws -> GroundTruth {
        let j = JSONFields(file: url.path)
        let root = try j.object(JSONFields.load(url), "top level")
        return try parse(root, j)
    }

    static func parse(_ root: JSONValue, _ j: JSONFields) throws -> GroundTruth {
        let imageList = try j.array(root["images"], "images", limit: EvalLimits.maxImages)
        var images: [EvalImage] = []
        var imageIDs = Set<Int>()
        images.reserveCapacity(imageList.count)
        for (n, v) in imageList.enumerated() {
            let f = "images[\(n)]"
            let o = try j.object(v, f)
            let id = try j.int(o["id"], f + ".id")
            guard imageIDs.insert(id).inserted else { throw j.fail(f + ".id", "duplicate image id \(id)") }
            images.append(EvalImage(id: id, fileName: try o["file_name"].map { try j.string($0, f + ".file_name") } ?? "",
                                    width: try o["width"].map { try j.int($0, f + ".width") } ?? 0,
                                    height: try o["height"].map { try j.int($0, f + ".height") } ?? 0))
        }
        var categories: [EvalCategory] = []
        var categoryIDs = Set<Int>()
        for (n, v) in try j.array(root["categories"], "categories", limit: EvalLimits.maxCategories).enumerated() {
            let f = "categories[\(n)]"
            let o = try j.object(v, f)
            let id = try j.int(o["id"], f + ".id")
            guard categoryIDs.insert(id).inserted else { throw j.fail(f + ".id", "duplicate category id \(id)") }
            categories.append(EvalCategory(id: id, name: try j.string(o["name"], f + ".name")))
        }
        var annotations: [GTAnnotation] = []
        var annotationIDs = Set<Int>()
        let list = root["annotations"] == nil ? [] : try j.array(root["annotations"], "annotations", limit: EvalLimits.maxAnnotations)
        annotations.reserveCapacity(list.count)
        for (n, v) in list.enumerated() {
            let f = "annotations[\(n)]"
            let o = try j.object(v, f)
            let id = try j.int(o["id"], f + ".id")
            guard annotationIDs.insert(id).inserted else { throw j.fail(f + ".id", "duplicate annotation id \(id)") }
            let imageID = try j.int(o["image_id"], f + ".image_id")
            guard imageIDs.contains(imageID) else { throw j.fail(f + ".image_id", "no image with id \(imageID)") }
            let categoryID = try j.int(o["category_id"], f + ".category_id")
            guard categoryIDs.contains(categoryID) else {
                throw j.fail(f + ".category_id", "no category with id \(categoryID)")
            }
            let (x, y, w, h) = try j.bbox(o["bbox"], f + ".bbox")
            let area = try o["area"].map { try j.number($0, f + ".area") }
            annotations.append(GTAnnotation(id: id, imageID: imageID, categoryID: categoryID, x: x, y: y, width: w,
                                            height: h, area: area, isCrowd: try j.flag(o["iscrowd"], f + ".iscrowd")))
        }
        return GroundTruth(images: images, categories: categories, annotations: annotations)
    }
}
