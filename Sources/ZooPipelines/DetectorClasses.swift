import Foundation
import ZooModels

/// A detector's class vocabulary as users see it: the names every output prints, and how `--classes` (CLI) or
/// `classes=` (HTTP) tokens resolve to class ids.
///
/// - Output names: a model trained on COCO prints COCO's category names (`motorcycle`, `airplane`, `couch`, `tv`,
///   `dining table`, `potted plant`), also when its own names file uses darknet's spellings (`coco.names` of
///   yolov3-tiny: `motorbike`, `aeroplane`, `sofa`, `tvmonitor`, `diningtable`, `pottedplant`). A model whose
///   names are not the 80 COCO classes (a user's `--names FILE`, a VOC model) keeps its own names unchanged.
/// - `--classes` tokens: a name, case-insensitive, in either spelling, or a class id (`0`, `16`); an unknown
///   token is an error that lists the valid names; an empty selection is an error (never "nothing, silently").
public struct DetectorClasses: Sendable {
    /// The names printed for class ids `0..<count`.
    public let names: [String]
    /// The model's own names (its names file), when they differ from `names`.
    public let modelNames: [String]

    /// Darknet's spellings of COCO categories → COCO's (the order and the other 74 names are the same).
    public static let darknetAliases: [String: String] = [
        "motorbike": "motorcycle", "aeroplane": "airplane", "sofa": "couch", "tvmonitor": "tv",
        "diningtable": "dining table", "pottedplant": "potted plant",
    ]

    public init(modelNames: [String]) {
        self.modelNames = modelNames
        let mapped = modelNames.map { Self.darknetAliases[$0] ?? $0 }
        names = mapped == COCOClassNames.names ? mapped : modelNames
    }

    public var count: Int { names.count }

    /// The printed name of class `id` (its number if out of range).
    public func name(_ id: Int) -> String { id >= 0 && id < names.count ? names[id] : String(id) }

    /// Class ids for `tokens` (names in either spelling, any case, or ids).
    public func resolve(_ tokens: [String], model: String) throws -> Set<Int> {
        var ids = Set<Int>()
        var unknown: [String] = []
        for raw in tokens {
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            if let i = Int(t) {
                guard i >= 0 && i < names.count else {
                    throw DetectorError.unknownClass("\(t) (ids are 0...\(names.count - 1))", model: model, valid: names)
                }
                ids.insert(i)
                continue
            }
            if let i = index(of: t) { ids.insert(i) } else { unknown.append(t) }
        }
        if let first = unknown.first { throw DetectorError.unknownClass(first, model: model, valid: names) }
        guard !ids.isEmpty else { throw DetectorError.emptyClassSelection(model: model, valid: names) }
        return ids
    }

    /// The id of a name in either spelling, case-insensitive.
    func index(of token: String) -> Int? {
        let t = token.lowercased()
        let canonical = Self.darknetAliases[t] ?? Self.darknetAliases[t.replacingOccurrences(of: " ", with: "")] ?? t
        if let i = names.firstIndex(where: { $0.lowercased() == canonical }) { return i }
        if let i = modelNames.firstIndex(where: { $0.lowercased() == t }) { return i }
        return nil
    }
}
