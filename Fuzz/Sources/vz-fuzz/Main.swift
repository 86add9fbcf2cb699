import Foundation
import ZooEval
import ZooImage
import ZooModels
import ZooNN
import ZooServe

/// libFuzzer's driver (linked by `-sanitize=fuzzer`); see docs/security.md for why it is called explicitly.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// One fuzz target: feeds the input bytes to a public parser; thrown errors are the expected outcome.
typealias Target = (Data) throws -> Void

/// A private temp folder for targets whose reader only takes files (one file rewritten per input).
let scratch: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vz-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

func file(_ name: String, _ data: Data) throws -> URL {
    let url = scratch.appendingPathComponent(name)
    try data.write(to: url)
    return url
}

/// Small limits so that a valid-but-huge header costs the fuzzer an error, not gigabytes.
let imageOptions: DecodeOptions = {
    var o = DecodeOptions(maxPixels: 4_000_000)
    o.maxFileBytes = 1 << 24
    return o
}()

let targets: [String: Target] = [
    "jpeg": { _ = try ImageDecoder.decode($0, name: "fuzz.jpg", options: imageOptions) },
    "png": { _ = try ImageDecoder.decode($0, name: "fuzz.png", options: imageOptions) },
    "image": { data in
        _ = try? ImageDecoder.size(of: data, name: "fuzz")
        _ = ExifOrientation.read(data)
        _ = try ImageDecoder.decode(data, name: "fuzz", options: imageOptions)
    },
    "darknet-cfg": { data in
        let config = try DarknetConfig(text: String(decoding: data, as: UTF8.self), source: "fuzz.cfg")
        _ = try DarknetNetwork.requiredFloatCount(config)
    },
    "onnx": { _ = try ONNXModel(data: $0) },
    "pickle": { _ = try TorchPickle.loadStateDict(bytes: [UInt8]($0), file: "fuzz.pkl") },
    "coco-json": { data in
        let url = try file("fuzz.json", data)
        _ = try? COCODatasetReader.read(url)
        _ = try COCOResults.read(url)
    },
    "darknet-weights": { _ = try DarknetWeights(data: $0, path: "fuzz.weights") },
    "mxnet": { _ = try MXNetParams(data: $0) },
    "dlib": { _ = try DlibNetFile(bytes: [UInt8]($0), file: "fuzz.dat") },
    "safetensors": { data in
        let f = try SafeTensors(contentsOf: try file("fuzz.safetensors", data))
        for n in f.names.prefix(8) { _ = try f.tensor(n) }
    },
    "yolo-txt": { data in
        let dir = scratch.appendingPathComponent("yolo")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try data.write(to: dir.appendingPathComponent("a.txt"))
        try Data("person\ncar\ndog\n".utf8).write(to: scratch.appendingPathComponent("yolo.names"))
        _ = try YOLODatasetReader.read(labels: dir, names: scratch.appendingPathComponent("yolo.names"), images: nil)
    },
    "multipart": { data in
        // The body of a multipart/form-data request with boundary `vzfuzz`; its first line also feeds the
        // Content-Type boundary parser.
        let firstLine = String(decoding: data.prefix(200).split(separator: 10, maxSplits: 1).first ?? Data(), as: UTF8.self)
        _ = MultipartForm.boundary(contentType: "multipart/form-data; " + firstLine)
        let form = try MultipartForm(body: data, boundary: "vzfuzz")
        for p in form.parts { _ = form.text(p.name) }
    },
    "voc-xml": { data in
        let dir = scratch.appendingPathComponent("voc")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try data.write(to: dir.appendingPathComponent("a.xml"))
        _ = try VOCDatasetReader.read(dir)
    },
]

nonisolated(unsafe) var selected: Target = { _ in }
/// `VZ_FUZZ_ERRORS=1` prints each thrown error (to check that the seeds parse: `vz-fuzz <target> -runs=0 corpus/<target>`).
let printErrors = ProcessInfo.processInfo.environment["VZ_FUZZ_ERRORS"] == "1"

@main
enum VZFuzz {
    static func main() {
        var args = CommandLine.arguments
        // libFuzzer's -fork/-jobs re-exec this binary with the stripped argv: the children find the target in
        // VZ_FUZZ_TARGET, which the parent sets from its first argument.
        let inherited = ProcessInfo.processInfo.environment["VZ_FUZZ_TARGET"].flatMap { targets[$0] }
        if inherited == nil, args.count >= 2, targets[args[1]] != nil { setenv("VZ_FUZZ_TARGET", args[1], 1) }
        guard let target = inherited ?? (args.count >= 2 ? targets[args[1]] : nil) else {
            let names = targets.keys.sorted().joined(separator: " ")
            FileHandle.standardError.write(Data("usage: vz-fuzz <target> [libFuzzer options] [corpus…]\ntargets: \(names)\n".utf8))
            exit(2)
        }
        selected = target
        if inherited == nil { args.remove(at: 1) }
        // libFuzzer keeps argv for the whole run (and re-execs with it), so the C strings are never freed.
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        var argc = Int32(args.count)
        let code = cArgs.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var argv = buffer.baseAddress!
            return LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
                let data = count == 0 || bytes == nil ? Data() : Data(bytes: bytes!, count: count)
                do { try selected(data) } catch { if printErrors { print("error: \(error)") } }
                return 0
            }
        }
        exit(code)
    }
}
