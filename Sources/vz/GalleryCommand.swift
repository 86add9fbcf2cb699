import ArgumentParser
import Foundation
import ZooImage
import ZooPipelines

/// `vz gallery add|list|remove`: the people `vz identify` knows.
struct GalleryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery",
        abstract: "Register, list and remove the people `vz identify` recognises (SQLite or PostgreSQL).",
        discussion: """
        The gallery is one SQLite file (WAL mode; --gallery PATH, default
        VZ_GALLERY, else weights/gallery/faces.sqlite), or a PostgreSQL database
        shared by replicas: --gallery 'postgres://USER[:PASSWORD]@HOST[:PORT]/DB'
        with optional ?sslmode=disable|prefer|require|verify-full (default
        prefer), &schema=NAME (tables in that schema) and &host=/socket/dir
        (PGPASSWORD is read when the URL has no password). Each person has one
        or more embeddings, each stored with the recognizer and version that
        produced it, the source image name, the face box and the time; a gallery
        never mixes recognizers (adding faces of another recognizer or version is
        refused). A registration is one transaction: once `vz gallery add` has
        printed a person, it survives a crash; a crash before leaves none of it.

        EXAMPLES
          vz gallery add alice alice1.jpg alice2.jpg   (largest face of each)
          vz gallery add --from-folders known_people/  (one person per folder)
          vz gallery list
          vz gallery remove alice
          vz gallery list --gallery postgres://vz@db.internal/faces
          vz identify group.jpg

        EXIT CODES
          0   success
          1   some images had no face or could not be read, or a name to remove
              is not in the gallery (each named on stderr; the rest was done)
          2   nothing could run: a refused registration (recognizer mismatch), an
              unusable gallery file, missing weights
          64  invalid command line
        """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a person's faces (the largest face of each image), or one person per subfolder.",
            discussion: """
            Output: one JSON line per person registered: {"name", "faces",
            "images", "created_at", "updated_at", "recognizer",
            "recognizer_version", "added", "skipped"}. Adding to an existing person
            appends embeddings. With --from-folders DIR every subfolder DIR/<name>/
            is one person (face_recognition's known_people layout, e.g.
            ../shared/data/lfw-112/images with --aligned); progress goes to
            stderr.

            EXAMPLES
              vz gallery add alice alice1.jpg alice2.jpg
              vz gallery add --from-folders known_people/ --gallery people.sqlite
            """)

        @Argument(help: "The person's name, then image files or folders (omit with --from-folders).")
        var arguments: [String] = []

        @Option(help: "Register every subfolder of DIR as a person named after it.")
        var fromFolders: String?

        @OptionGroup var options: FacePipelineOptions

        func validate() throws {
            if fromFolders != nil {
                guard arguments.isEmpty else { throw ValidationError("--from-folders takes no NAME or IMAGE arguments") }
            } else {
                guard arguments.count >= 2 else { throw ValidationError("give a NAME and at least one IMAGE (or --from-folders DIR)") }
                do { _ = try GalleryError.check(name: arguments[0]) } catch { throw ValidationError("\(error)") }
            }
        }

        struct Line: Encodable {
            var person: GalleryPerson
            var added: Int
            var skipped: [String]
            enum Keys: String, CodingKey { case added, skipped }
            func encode(to encoder: Encoder) throws {
                try person.encode(to: encoder)
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(added, forKey: .added)
                try c.encode(skipped, forKey: .skipped)
            }
        }

        func run() throws {
            let identifier: FaceIdentifier
            do { identifier = try options.makeIdentifier() } catch {
                Stderr.print("vz gallery add: \(CLIExit.describe(error))")
                throw CLIExit.failed
            }
            var groups: [(name: String, files: [(path: String, read: () throws -> Data)])] = []
            var failed = 0
            if let dir = fromFolders {
                let files: [(identity: String, url: URL)]
                do { files = try FaceCalibration.listImages(URL(fileURLWithPath: dir)) } catch {
                    Stderr.print("vz gallery add: \(CLIExit.describe(error))")
                    throw CLIExit.failed
                }
                for f in files {
                    let read = { try ImageDecoder.readFile(f.url) }
                    if groups.last?.name == f.identity { groups[groups.count - 1].files.append((f.url.path, read)) }
                    else { groups.append((f.identity, [(f.url.path, read)])) }
                }
            } else {
                let inputs = ImageInputs(Array(arguments.dropFirst()), skipping: [])
                for m in inputs.problems { Stderr.print("vz gallery add: \(m)") }
                failed += inputs.problems.count
                groups = [(arguments[0], inputs.items.map { item in (item.path, { try inputs.read(item, maxBytes: DecodeOptions().maxFileBytes) }) })]
            }
            let start = Date()
            var registered = 0
            for (gi, g) in groups.enumerated() {
                var faces: [GalleryFace] = [], skipped: [String] = []
                for f in g.files {
                    do {
                        faces.append(try identifier.registrationFace(data: try f.read(), name: f.path).face)
                    } catch {
                        Stderr.print("vz gallery add: skipped \(f.path): \(OutputFolder.describe(error))")
                        skipped.append(f.path)
                        failed += 1
                    }
                }
                guard !faces.isEmpty else {
                    Stderr.print("vz gallery add: \(g.name): no face to register")
                    continue
                }
                do {
                    let p = try identifier.register(person: g.name, faces: faces)
                    print(try JSONLine.of(Line(person: p, added: faces.count, skipped: skipped)))
                    fflush(stdout)
                    registered += 1
                } catch {
                    Stderr.print("vz gallery add: \(g.name): \(error)")
                    failed += 1
                    if case GalleryError.recognizerMismatch = error { throw CLIExit.failed }
                }
                if fromFolders != nil && ((gi + 1) % 25 == 0 || gi + 1 == groups.count) {
                    let s = Date().timeIntervalSince(start)
                    Stderr.print("vz gallery add: \(gi + 1)/\(groups.count) people (\(String(format: "%.1f", s)) s)")
                }
            }
            if fromFolders != nil { Stderr.print("vz gallery add: registered \(registered) of \(groups.count) people into \(options.galleryLocation)") }
            if failed > 0 { throw CLIExit.partial }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered people: one JSON line each (name, faces, images, times, recognizer).")

        @Option(help: "Gallery: a SQLite file or postgres://… URL (default: VZ_GALLERY, else weights/gallery/faces.sqlite).")
        var gallery: String?

        func run() throws {
            let location = gallery ?? Gallery.defaultLocation()
            do {
                let people = try Gallery.open(location).people()
                for p in people { print(try JSONLine.of(p)) }
                Stderr.print("vz gallery list: \(people.count) \(people.count == 1 ? "person" : "people"), \(people.map(\.faces).reduce(0, +)) embeddings in \(location)")
            } catch {
                Stderr.print("vz gallery list: \(CLIExit.describe(error))")
                throw CLIExit.failed
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove people and all their embeddings (exit code 1 if a name is not in the gallery).")

        @Argument(help: "Names of the people to remove.")
        var names: [String]

        @Option(help: "Gallery: a SQLite file or postgres://… URL (default: VZ_GALLERY, else weights/gallery/faces.sqlite).")
        var gallery: String?

        func run() throws {
            let location = gallery ?? Gallery.defaultLocation()
            var missing = 0
            do {
                let g = try Gallery.open(location)
                for n in names {
                    if try g.remove(person: n) { print(try JSONLine.of(["removed": n])) } else {
                        Stderr.print("vz gallery remove: \(GalleryError.unknownPerson(n))")
                        missing += 1
                    }
                }
            } catch {
                Stderr.print("vz gallery remove: \(CLIExit.describe(error))")
                throw CLIExit.failed
            }
            if missing > 0 { throw CLIExit.partial }
        }
    }
}
