import Foundation

/// A COCO results file: a list of `{image_id, category_id, bbox: [x, y, w, h], score}`, or the same list as
/// `annotations` of an object that may also carry `images` (with `file_name`) and `categories` (with `name`),
/// in which case images are matched by file name and categories by name.
public struct COCOResults: Sendable {
    /// How a result names its image: a numeric id or a file name.
    public enum ImageRef: Sendable, Hashable { case id(Int), fileName(String) }

    /// One result as written in the file.
    public struct Entry: Sendable {
        public var image: ImageRef
        public var categoryID: Int
        public var x: Double, y: Double, width: Double, height: Double
        public var score: Double
    }

    public var file: String
    public var entries: [Entry]
    /// `images` of a wrapped file: id → file name.
    public var imageFileNames: [Int: String]?
    /// `categories` of a wrapped file: id → name.
    public var categoryNames: [Int: String]?

    /// What aligning results to a dataset left out or could not map.
    public struct Alignment: Sendable {
        public var detections: [ResultDetection]
        /// Result categories without a dataset counterpart (names, or ids for a plain list).
        public var unmappedClasses: [String]
        /// Results left out because their category is not in the dataset.
        public var droppedDetections: Int
    }

    /// Reads a results file (plain list or wrapped object).
    public static func read(_ url: URL) throws -> COCOResults {
        let j = JSONFields(file: url.path)
        let root = try JSONFields.load(url)
        var results = COCOResults(file: url.path, entries: [])
        let list: [JSONValue]
        var prefix = ""
        if case .array(let a) = root {
            try EvalLimits.checkCount(a.count, limit: EvalLimits.maxAnnotations, file: url.path, field: "top level")
            list = a
        } else if case .object = root {
            let o = root
            list = try j.array(o["annotations"], "annotations", limit: EvalLimits.maxAnnotations)
            prefix = "annotations"
            if let imgs = o["images"] {
                var map: [Int: String] = [:]
                for (n, v) in try j.array(imgs, "images", limit: EvalLimits.maxImages).enumerated() {
                    let io = try j.object(v, "images[\(n)]")
                    let id = try j.int(io["id"], "images[\(n)].id")
                    if let name = io["file_name"] { map[id] = try j.string(name, "images[\(n)].file_name") }
                }
                if !map.isEmpty { results.imageFileNames = map }
            }
            if let cats = o["categories"] {
                var map: [Int: String] = [:]
                for (n, v) in try j.array(cats, "categories", limit: EvalLimits.maxCategories).enumerated() {
                    let co = try j.object(v, "categories[\(n)]")
                    map[try j.int(co["id"], "categories[\(n)].id")] = try j.string(co["name"], "categories[\(n)].name")
                }
                results.categoryNames = map
            }
        } else {
            throw j.fail("top level", "expected a list of results or an object with 'annotations'")
        }
        results.entries.reserveCapacity(list.count)
        for (n, v) in list.enumerated() {
            let f = "\(prefix)[\(n)]"
            let o = try j.object(v, f)
            let image: ImageRef
            if case .string(let s)? = o["image_id"] { image = .fileName(s) } else { image = .id(try j.int(o["image_id"], f + ".image_id")) }
            let (x, y, w, h) = try j.bbox(o["bbox"], f + ".bbox")
            results.entries.append(Entry(image: image, categoryID: try j.int(o["category_id"], f + ".category_id"),
                                         x: x, y: y, width: w, height: h, score: try j.number(o["score"], f + ".score")))
        }
        return results
    }

    /// The results in the dataset's ids. Images: by file name when the file names them, else by id (an id or
    /// name not in the dataset is an error, as in pycocotools' `loadRes`). Categories: by name through
    /// `ClassMapping` when the file names them, else by id; unknown ones are left out and reported.
    public func aligned(to gt: GroundTruth) throws -> Alignment {
        let byName = gt.imageIDsByFileName
        var byStem: [String: Int] = [:]
        for (name, id) in byName { byStem[(name as NSString).deletingPathExtension] = id }
        let gtImageIDs = Set(gt.images.map(\.id))
        let gtCategoryIDs = Set(gt.categories.map(\.id))
        var categoryMap: [Int: Int?] = [:]
        var unmapped: [String] = []
        if let names = categoryNames {
            let ids = names.keys.sorted()
            let mapping = ClassMapping(source: ids.map { names[$0]! }, target: gt.categories)
            for (i, id) in ids.enumerated() { categoryMap[id] = mapping.categoryForSource[i] }
            unmapped = mapping.unmappedSource
        }
        var out: [ResultDetection] = []
        out.reserveCapacity(entries.count)
        var dropped = 0, unknownIDs = Set<Int>()
        for (n, e) in entries.enumerated() {
            let imageID: Int
            switch e.image {
            case .fileName(let s):
                guard let id = byName[(s as NSString).lastPathComponent] ?? byStem[s] else {
                    throw EvalError.mismatch("\(file): result \(n): image '\(s)' is not in the ground truth")
                }
                imageID = id
            case .id(let id):
                if let names = imageFileNames {
                    guard let name = names[id] else {
                        throw EvalError.mismatch("\(file): result \(n): image_id \(id) is not listed in 'images'")
                    }
                    guard let gid = byName[(name as NSString).lastPathComponent] else {
                        throw EvalError.mismatch("\(file): result \(n): image '\(name)' is not in the ground truth")
                    }
                    imageID = gid
                } else {
                    guard gtImageIDs.contains(id) else {
                        throw EvalError.mismatch("\(file): result \(n): image_id \(id) is not in the ground truth "
                            + "(results do not correspond to this dataset)")
                    }
                    imageID = id
                }
            }
            let categoryID: Int
            if categoryNames != nil {
                guard let mapped = categoryMap[e.categoryID] else {
                    throw EvalError.malformed(file: file, field: "annotations[\(n)].category_id",
                                              problem: "category \(e.categoryID) is not listed in 'categories'")
                }
                guard let c = mapped else { dropped += 1; continue }
                categoryID = c
            } else {
                guard gtCategoryIDs.contains(e.categoryID) else { dropped += 1; unknownIDs.insert(e.categoryID); continue }
                categoryID = e.categoryID
            }
            out.append(ResultDetection(imageID: imageID, categoryID: categoryID, x: e.x, y: e.y, width: e.width,
                                       height: e.height, score: e.score))
        }
        if categoryNames == nil { unmapped = unknownIDs.sorted().map { "category_id \($0)" } }
        return Alignment(detections: out, unmappedClasses: unmapped, droppedDetections: dropped)
    }
}
