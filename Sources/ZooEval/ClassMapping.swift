/// Maps class names of one label set (a model's, a results file's) onto a dataset's categories.
///
/// Names match when equal after lower-casing and dropping spaces, `_` and `-` ("dining table" = "diningtable"),
/// and through the aliases between Pascal VOC and COCO names (aeroplane = airplane, motorbike = motorcycle,
/// sofa = couch, tvmonitor = tv; diningtable and pottedplant match by the normalisation).
public struct ClassMapping: Sendable {
    /// Pascal VOC names → COCO names where they differ beyond spacing.
    public static let vocToCOCO: [String: String] = [
        "aeroplane": "airplane", "motorbike": "motorcycle", "sofa": "couch", "tvmonitor": "tv",
        "diningtable": "dining table", "pottedplant": "potted plant",
    ]

    /// The key two names must share to match.
    public static func canonical(_ name: String) -> String {
        let n = normalized(name)
        return aliases[n] ?? n
    }

    static func normalized(_ name: String) -> String {
        String(name.lowercased().filter { $0 != " " && $0 != "_" && $0 != "-" })
    }

    /// `vocToCOCO` on normalised names, identities dropped.
    static let aliases: [String: String] = {
        var map: [String: String] = [:]
        for (voc, coco) in vocToCOCO where normalized(voc) != normalized(coco) { map[normalized(voc)] = normalized(coco) }
        return map
    }()

    /// For each source class (by index), the dataset category id it maps to, or nil.
    public let categoryForSource: [Int?]
    /// Source classes that match no dataset category (their detections are left out).
    public let unmappedSource: [String]
    /// Dataset categories that no source class maps to (they can only score 0 AP).
    public let unmappedTarget: [String]

    /// Maps `source` names onto `target` categories. A source name equal to a category name wins over
    /// a normalised or alias match.
    public init(source: [String], target: [EvalCategory]) {
        var exact: [String: Int] = [:], byKey: [String: Int] = [:]
        for c in target {
            if exact[c.name] == nil { exact[c.name] = c.id }
            let key = Self.canonical(c.name)
            if byKey[key] == nil { byKey[key] = c.id }
        }
        categoryForSource = source.map { exact[$0] ?? byKey[Self.canonical($0)] }
        unmappedSource = zip(source, categoryForSource).filter { $0.1 == nil }.map(\.0)
        let mapped = Set(categoryForSource.compactMap { $0 })
        unmappedTarget = target.filter { !mapped.contains($0.id) }.map(\.name)
    }
}
