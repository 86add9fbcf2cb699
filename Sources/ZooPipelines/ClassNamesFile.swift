import Foundation
import ZooImage

/// A class names file (`vz detect --names FILE`): one name per line in label order — darknet's `.names` and
/// YOLO's `classes.txt` layout. Lines are trimmed; blank lines are skipped; a UTF-8 BOM and CRLF line ends are
/// accepted. For a torchvision checkpoint the names are its labels 1…K−1 (background, label 0, is not listed),
/// exactly as `FastRCNNPredictor(in, K)` numbers them when fine-tuning; for DETR its labels 0…N−1 (the last
/// "no object" logit is not listed).
public enum ClassNamesFile {
    /// At most this many names and bytes (a names file is small; anything larger is the wrong file).
    public static let maxNames = 10_000
    public static let maxBytes = 1 << 20

    /// Reads and checks `url`: not empty, at most `maxNames` names, no duplicates, valid UTF-8.
    public static func read(_ url: URL) throws -> [String] {
        let data: Data
        do { data = try ImageDecoder.readFile(url, maxBytes: maxBytes) } catch {
            throw DetectorError.unreadable(url.path, "\(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DetectorError.unreadable(url.path, "not UTF-8 text (one class name per line)")
        }
        let names = text.replacingOccurrences(of: "\u{FEFF}", with: "")
            .split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !names.isEmpty else { throw DetectorError.unreadable(url.path, "no class names (one per line)") }
        guard names.count <= maxNames else { throw DetectorError.unreadable(url.path, "\(names.count) names, over the limit of \(maxNames)") }
        var seen = Set<String>()
        for (i, n) in names.enumerated() where !seen.insert(n).inserted {
            throw DetectorError.unreadable(url.path, "line \(i + 1): '\(n)' is listed twice")
        }
        return names
    }
}
