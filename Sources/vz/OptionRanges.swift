import ArgumentParser
import Foundation
import ZooPipelines

/// The documented ranges of the numeric command-line options that are not detector options (those are
/// `DetectorLimits`), checked in `validate()` before anything is loaded or allocated.
enum OptionRanges {
    /// Threads for OpenBLAS and our loops: 1 to 4× the cores (more only adds contention).
    static let threads = 1...(max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
    /// Timed runs and untimed warm-up runs of the benchmarks.
    static let runs = 1...10_000
    static let warmup = 0...1_000
    /// `vz verify --face-index`: the N-th largest face.
    static let faceIndex = 0...999
    /// Cosine similarity thresholds.
    static let cosine: ClosedRange<Float> = -1...1
    /// Face score thresholds (`--min-score`).
    static let score: ClosedRange<Float> = 0...1
    /// `--im2col-tile(-floats)`: floats per im2col band (4 to 1 GiB).
    static let im2colTile = 1...(1 << 28)

    /// "32...2048", "0...1" (integral floats without ".0").
    static func text<T>(_ r: ClosedRange<T>) -> String { "\(show(r.lowerBound))...\(show(r.upperBound))" }

    private static func show<T>(_ v: T) -> String {
        if let f = v as? Float, f == f.rounded(), abs(f) < 1e9 { return String(Int(f)) }
        if let d = v as? Double, d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return "\(v)"
    }

    /// Throws "--OPTION must be in LOW...HIGH, got VALUE" unless `value` is nil or in `range` (NaN never is).
    static func check<T: Comparable>(_ value: T?, _ range: ClosedRange<T>, _ option: String) throws {
        guard let value, !range.contains(value) else { return }
        throw ValidationError("--\(option) must be in \(text(range)), got \(value)")
    }

    /// `--threads` help text with its range.
    static var threadsHelp: ArgumentHelp { ArgumentHelp("Threads, \(text(threads)) (default: VZ_THREADS or all cores).") }
}
