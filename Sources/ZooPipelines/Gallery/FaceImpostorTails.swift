import Foundation

/// The measured impostor tails, one per recognizer (see `ImpostorTail` for how they are made). The JSON below is
/// a verbatim copy of `Tests/Fixtures/faces/impostor-tail-<recognizer>.json` (`FaceGalleryTests` checks it).
public enum FaceImpostorTails {
    /// The tail of recognizer `name`, if measured.
    public static func tail(for name: String) -> ImpostorTail? { all[name] }

    public static let all: [String: ImpostorTail] = {
        var out: [String: ImpostorTail] = [:]
        for text in json {
            guard let t = try? JSONDecoder().decode(ImpostorTail.self, from: Data(text.utf8)) else {
                preconditionFailure("FaceImpostorTails.json holds an unreadable tail")
            }
            out[t.recognizer] = t
        }
        return out
    }()

    static let json: [String] = [
    ]
}
