import Dispatch
import Foundation

/// Progress on stderr for long commands: a redrawn one-line bar with ETA when stderr is a terminal, else a
/// plain line every `interval` seconds (`vz detect: 40/100 images, 12.5/s, ETA 0:05`), so a piped or logged run
/// shows it too. Nothing for a single item. The one progress display of every command (detect, faces, verify,
/// eval --model).
public final class ProgressReporter {
    let total: Int, label: String
    let terminal: Bool, enabled: Bool
    let interval: Double
    /// What is counted ("images", "pairs").
    let unit: String
    let start = DispatchTime.now()
    private var lastLine = 0.0
    public init(total: Int, label: String, unit: String = "images", interval: Double = 5) {
        self.total = total; self.label = label; self.unit = unit; self.interval = interval
        terminal = isatty(2) != 0
        enabled = total > 1
    }

    private var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }

    private func eta(_ done: Int) -> String {
        guard done > 0 else { return "--:--" }
        let rest = Int(elapsed / Double(done) * Double(total - done))
        return String(format: "%d:%02d", rest / 60, rest % 60)
    }

    public func update(done: Int, current: String) {
        guard enabled else { return }
        let t = elapsed
        if terminal {
            let width = 24, filled = total > 0 ? width * done / total : 0
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            Self.write("\r[\(bar)] \(done)/\(total) ETA \(eta(done)) \(current.prefix(30))\u{1B}[K")
        } else if done > 0, t - lastLine >= interval {
            lastLine = t
            Self.print("\(label): \(done)/\(total) \(unit), \(String(format: "%.1f", Double(done) / max(t, 1e-9)))/s, ETA \(eta(done))")
        }
    }
    public func clear() { if enabled && terminal { Self.write("\r\u{1B}[K") } }
    public func finish(total: Int) {
        guard enabled else { return }
        let line = "\(total) \(unit) in \(String(format: "%.1f", elapsed)) s"
        if terminal { Self.write("\r\u{1B}[K\(line)\n") } else { Self.print("\(label): \(line)") }
    }

    private static func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
    private static func print(_ s: String) { write(s + "\n") }
}
