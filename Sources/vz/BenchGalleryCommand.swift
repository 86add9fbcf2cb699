import ArgumentParser
import Foundation
import ZooPipelines
import ZooTensor

/// `vz bench gallery`: exact cosine search time over synthetic galleries of 1k, 10k, 100k embeddings.
struct BenchGallery: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery",
        abstract: "Gallery search time (one cblas_sgemv + best per person) at 1k / 10k / 100k synthetic embeddings.",
        discussion: """
        For each size: random unit embeddings (--dim, SFace's 128 by default;
        --per-person each) are registered into a fresh gallery (one transaction
        per person, as `vz gallery add`): a SQLite file in a temporary folder, or
        with --gallery postgres://… a fresh schema of that database (dropped
        after). The matrix is loaded once, then --runs searches of random queries
        are timed after --warmup. Reported: registration rate, snapshot load time,
        search median/min/max through `Gallery.search` (the store's revision check
        included: a SQLite read or a PostgreSQL round trip) and the bare
        matrix-vector product + per-person max.

        EXAMPLES
          vz bench gallery --sizes 1000,10000,100000 --threads 2
          vz bench gallery --gallery 'postgres://vz:vz@127.0.0.1/vz_test'
        """)

    @Option(help: "Comma-separated gallery sizes (embeddings), each 1...1000000.")
    var sizes = "1000,10000,100000"
    @Option(help: "Embedding length, 1...4096.")
    var dim = 128
    @Option(help: "Embeddings per person, 1...1000.")
    var perPerson = 10
    @Option(help: "Timed searches per size, \(OptionRanges.text(OptionRanges.runs)) (median reported).")
    var runs = 200
    @Option(help: "Untimed warm-up searches, \(OptionRanges.text(OptionRanges.warmup)).")
    var warmup = 10
    @Option(help: OptionRanges.threadsHelp)
    var threads: Int?
    @Option(help: "A postgres://USER@HOST/DB URL to measure the PostgreSQL store (a fresh schema per size, dropped after) instead of a temporary SQLite file.")
    var gallery: String?
    @Flag(help: "Print JSON instead of a Markdown table.")
    var json = false

    var sizeList: [Int] { sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !sizeList.isEmpty, sizeList.allSatisfy({ (1...1_000_000).contains($0) }) else { throw ValidationError("--sizes: integers in 1...1000000") }
        guard (1...4096).contains(dim) else { throw ValidationError("--dim must be in 1...4096") }
        guard (1...1000).contains(perPerson) else { throw ValidationError("--per-person must be in 1...1000") }
        try OptionRanges.check(runs, OptionRanges.runs, "runs")
        try OptionRanges.check(warmup, OptionRanges.warmup, "warmup")
        try OptionRanges.check(threads, OptionRanges.threads, "threads")
    }

    struct Row: Codable {
        var embeddings: Int, people: Int, dim: Int
        var register_s: Double, transactions_per_s: Double, load_ms: Double
        var search_median_ms: Double, search_min_ms: Double, search_max_ms: Double
        var sgemv_median_ms: Double, sgemv_min_ms: Double
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        var rng = SystemRandomNumberGenerator()
        func unit() -> [Float] {
            var v = (0..<dim).map { _ in Float.random(in: -1...1, using: &rng) }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in v.indices { v[i] /= n }
            return v
        }
        let recognizer = RecognizerID(name: "synthetic", version: "bench \(dim)")
        var rows: [Row] = []
        for size in sizeList {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-bench-gallery-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let gallery: Gallery
            if let url = self.gallery {
                guard PostgresGalleryStore.accepts(url) else { throw ValidationError("--gallery takes a postgres:// URL") }
                let schema = "vz_bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
                gallery = try Gallery.open(url + (url.contains("?") ? "&" : "?") + "schema=\(schema)")
            } else {
                gallery = try Gallery.open(dir.appendingPathComponent("g.sqlite").path)
            }
            defer { (gallery.store as? PostgresGalleryStore)?.dropSchema() }
            let t0 = Date()
            var people = 0, added = 0
            while added < size {
                let k = min(perPerson, size - added)
                try gallery.add(person: "p\(people)", faces: (0..<k).map { _ in GalleryFace(embedding: unit(), sourceImage: "synthetic", box: []) },
                                recognizer: recognizer)
                people += 1; added += k
            }
            let register = Date().timeIntervalSince(t0)
            let t1 = Date()
            let snap = try gallery.snapshot()
            let load = Date().timeIntervalSince(t1) * 1000
            let queries = (0..<64).map { _ in unit() }
            func time(_ body: (Int) throws -> Void) rethrows -> [Double] {
                for i in 0..<warmup { try body(i) }
                return try (0..<runs).map { i in
                    let s = DispatchTime.now().uptimeNanoseconds
                    try body(i)
                    return Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6
                }.sorted()
            }
            let search = try time { i in _ = try gallery.search(queries[i % queries.count], recognizer: recognizer) }
            let bare = time { i in _ = Gallery.top2(snap, query: queries[i % queries.count]) }
            rows.append(Row(embeddings: size, people: people, dim: dim, register_s: register,
                            transactions_per_s: Double(people) / register, load_ms: load,
                            search_median_ms: search[search.count / 2], search_min_ms: search[0], search_max_ms: search[search.count - 1],
                            sgemv_median_ms: bare[bare.count / 2], sgemv_min_ms: bare[0]))
            Stderr.print("vz bench gallery: \(size) embeddings done")
        }
        if json {
            print(try JSONLine.of(["threads": Threads.count]))
            for r in rows { print(try JSONLine.of(r)) }
            return
        }
        func f(_ v: Double, _ d: Int) -> String { String(format: "%.\(d)f", v) }
        print("store \(self.gallery.map { PostgresGalleryStore.redacted($0) } ?? "SQLite (temporary file)"), threads \(Threads.count), dim \(dim), \(perPerson) embeddings per person, median of \(runs) searches after \(warmup) warm-up")
        print("")
        print("| embeddings | people | register (s, txn/s) | load matrix ms | search median ms | min | max | sgemv+max median ms | min |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows {
            print("| \(r.embeddings) | \(r.people) | \(f(r.register_s, 2)) (\(f(r.transactions_per_s, 0))) | \(f(r.load_ms, 2)) | \(f(r.search_median_ms, 3)) | \(f(r.search_min_ms, 3)) | \(f(r.search_max_ms, 3)) | \(f(r.sgemv_median_ms, 3)) | \(f(r.sgemv_min_ms, 3)) |")
        }
    }
}
