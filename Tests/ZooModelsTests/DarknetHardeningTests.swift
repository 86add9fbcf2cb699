import Foundation
import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// Malformed darknet cfg and weights files (issue 14 item 5): every one ends in an error naming the file, the
/// section and the key — never in an allocation failure (`filters=2000000000` and `size=99999` used to abort
/// with "Fatal error: failed to allocate").
final class DarknetHardeningTests: XCTestCase {
    typealias S = DarknetTestSupport
    typealias N = DarknetNetworkTests

    /// A valid two-conv network; `{conv}` / `{yolo}` / `{net}` are replaced by the option lines under test.
    static func cfg(net: String = "", conv: String = "", yolo: String = "", tail: String = "") -> String {
        "[net]\nwidth=32\nheight=32\nchannels=3\n\(net)\n"
            + "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n\(conv)\n"
            + "[convolutional]\nfilters=14\nsize=1\nactivation=linear\n\n"
            + "[yolo]\nmask=0,1\nanchors=4,6, 8,10\nclasses=2\nnum=2\n\(yolo)\n" + tail
    }

    /// Building `cfg` (weights: a tiny real file, so nothing the cfg asks for can be allocated from it) throws an
    /// error containing every fragment.
    func assertRefused(_ cfg: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try {
            let config = try DarknetConfig(text: cfg, source: "bad.cfg")
            var w = try DarknetWeights(data: S.weightsFile([Float](repeating: 0.01, count: 16)), path: "bad.weights")
            _ = try DarknetNetwork(config: config, weights: &w)
        }(), file: file, line: line) { e in
            for f in fragments { XCTAssertTrue("\(e)".contains(f), "'\(e)' lacks '\(f)'", file: file, line: line) }
        }
    }

    /// The two inputs of the issue, with the error naming file, line, section and key.
    func testHugeFiltersAndKernelSizeAreNamedErrorsNotAborts() {
        // conv options start at line 7: batch_normalize 7, filters 8, size 9, … the extra line is 13
        assertRefused(Self.cfg(conv: "filters=2000000000"), ["bad.cfg:13 [convolutional] filters", "2000000000", "outside 1...16384"])
        assertRefused(Self.cfg(conv: "size=99999"), ["bad.cfg:13 [convolutional] size", "99999", "outside 1...64"])
    }

    /// Every numeric key of every section type, just outside its range.
    func testEveryNumericKeyHasARange() {
        let cases: [(String, [String])] = [
            (Self.cfg(net: "width=0"), ["[net] width", "outside"]),
            (Self.cfg(net: "height=100000"), ["[net] height", "outside"]),
            (Self.cfg(net: "channels=1000"), ["[net] channels", "outside"]),
            (Self.cfg(conv: "filters=0"), ["[convolutional] filters", "outside"]),
            (Self.cfg(conv: "size=0"), ["[convolutional] size", "outside"]),
            (Self.cfg(conv: "stride=-2"), ["[convolutional] stride", "outside"]),
            (Self.cfg(conv: "stride_x=1000"), ["[convolutional] stride_x", "outside"]),
            (Self.cfg(conv: "stride_y=0"), ["[convolutional] stride_y", "outside"]),
            (Self.cfg(conv: "pad=5"), ["[convolutional] pad", "outside 0...1"]),
            (Self.cfg(conv: "padding=-1"), ["[convolutional] padding", "outside"]),
            (Self.cfg(conv: "groups=0"), ["[convolutional] groups", "outside"]),
            (Self.cfg(conv: "groups=3000000000"), ["[convolutional] groups", "outside"]),
            (Self.cfg(conv: "dilation=100000"), ["[convolutional] dilation", "outside"]),
            (Self.cfg(conv: "batch_normalize=9"), ["[convolutional] batch_normalize", "outside"]),
            (Self.cfg(conv: "filters=99999999999999999999"), ["[convolutional] filters", "not an integer"]),
            (Self.cfg(yolo: "classes=0"), ["[yolo] classes", "outside"]),
            (Self.cfg(yolo: "classes=2000000000"), ["[yolo] classes", "outside"]),
            (Self.cfg(yolo: "num=100000"), ["[yolo] num", "outside"]),
            (Self.cfg(yolo: "mask=0,99"), ["[yolo] mask", "outside 0..<2"]),
            (Self.cfg(yolo: "mask=-1"), ["[yolo] mask", "outside"]),
            (Self.cfg(yolo: "anchors=" + Array(repeating: "4,6", count: 200).joined(separator: ",")), ["[yolo] anchors", "200 anchor pairs"]),
            (Self.cfg(yolo: "anchors=4,-6,8,10"), ["[yolo] anchors", "anchor side -6"]),
            (Self.cfg(yolo: "anchors=4,6,8"), ["[yolo] anchors", "even"]),
            (Self.cfg(yolo: "scale_x_y=1000"), ["[yolo] scale_x_y", "outside"]),
            (Self.cfg(yolo: "new_coords=3"), ["[yolo] new_coords", "outside"]),
            (Self.cfg(tail: "[route]\nlayers=-2\n[maxpool]\nsize=1000\n"), ["[maxpool] size", "outside"]),
            (Self.cfg(tail: "[route]\nlayers=-2\n[maxpool]\nstride=0\n"), ["[maxpool] stride", "outside"]),
            (Self.cfg(tail: "[route]\nlayers=-2\n[maxpool]\nsize=2\npadding=100000\n"), ["[maxpool] padding", "outside"]),
            (Self.cfg(tail: "[route]\nlayers=-2\n[upsample]\nstride=1000\n"), ["[upsample] stride", "outside"]),
            (Self.cfg(tail: "[route]\nlayers=-2\n[upsample]\nstride=-2\n"), ["[upsample] stride", "outside"]),
            (Self.cfg(tail: "[route]\nlayers=-100\n"), ["[route] layers", "outside 0..<3"]),
            (Self.cfg(tail: "[route]\nlayers=-9223372036854775807\n"), ["[route] layers", "outside"]),
            (Self.cfg(tail: "[route]\nlayers=" + Array(repeating: "0", count: 100).joined(separator: ",") + "\n"), ["[route] layers", "100 layers"]),
            (Self.cfg(tail: "[route]\nlayers=0\ngroups=0\n"), ["[route] groups", "outside"]),
            (Self.cfg(tail: "[route]\nlayers=0\ngroups=2\ngroup_id=5\n"), ["[route] group_id", "group_id=5"]),
            (Self.cfg(tail: "[route]\nlayers=-2\n[shortcut]\nfrom=99\n"), ["[shortcut] from", "outside 0..<4"]),
        ]
        for (cfg, fragments) in cases { assertRefused(cfg, fragments) }
    }

    /// Options inside their ranges whose combination is absurd: the parameter and memory budgets refuse them
    /// before anything is allocated.
    func testParameterAndActivationBudgets() {
        // 16384 · 64 · 64² = 2^32 weights > 2^31 parameters
        assertRefused("[net]\nwidth=64\nheight=64\nchannels=64\n[convolutional]\nfilters=16384\nsize=64\npad=1\n",
                      ["bad.cfg:6 [convolutional] filters", "parameters"])
        // 16384 channels of 8192² at the cfg's input size: 4 TiB of activations
        assertRefused("[net]\nwidth=8192\nheight=8192\nchannels=3\n[convolutional]\nfilters=16384\nsize=1\n"
                      + "[convolutional]\nfilters=14\nsize=1\n[yolo]\nmask=0,1\nanchors=4,6,8,10\nclasses=2\nnum=2\n",
                      ["bad.cfg", "input size 8192x8192", "MiB"])
        // upsampling past the side limit
        assertRefused(Self.cfg(tail: "[route]\nlayers=-2\n" + String(repeating: "[upsample]\nstride=64\n", count: 4)), ["[upsample]", "over the limits"])
        // a layer other than [route] cannot take a [yolo] output as its input
        assertRefused(Self.cfg(tail: "[upsample]\nstride=2\n"), ["bad.cfg:25 [upsample]", "after a [yolo]"])
    }

    /// A forward pass at an input size whose buffers would not fit is refused by the plan sizing.
    func testHugeInputSizeIsRefusedBeforePlanning() throws {
        let net = try S.network(N.yolov3Like)
        XCTAssertThrowsError(try net.shapes(for: [1, 3, 32768, 32768])) { e in
            XCTAssertTrue("\(e)".contains("input 32768x32768") && "\(e)".contains("MiB"), "\(e)")
        }
        XCTAssertThrowsError(try net.shapes(for: [1, 3, 1 << 40, 64])) { e in XCTAssertTrue("\(e)".contains("expects N, 3, H, W"), "\(e)") }
        XCTAssertEqual(try net.shapes(for: [1, 3, 64, 64]).count, net.sections.count)
    }

    /// The weights file must hold exactly what the cfg needs, checked before any layer is allocated: an 800 MB
    /// convolution with a 64-byte weights file fails at once, naming the section and field.
    func testWeightsSizeIsCheckedBeforeAllocating() throws {
        let cfg = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=16384\nsize=64\npad=1\n"
            + "[convolutional]\nfilters=14\nsize=1\n[yolo]\nmask=0,1\nanchors=4,6,8,10\nclasses=2\nnum=2\n"
        let start = Date()
        assertRefused(cfg, ["bad.weights", "ran out of floats at bad.cfg:5 [convolutional] biases", "needs 16384, 16 left"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "refused without reading or allocating")
        XCTAssertEqual(try DarknetNetwork.requiredFloatCount(try DarknetConfig(text: cfg)), 16384 + 16384 * 3 * 64 * 64 + 14 + 14 * 16384)
    }

    /// NaN and ±inf in a weights file are errors naming the file, the section and the field.
    func testNonFiniteWeightsAreNamed() throws {
        let text = "[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=leaky\n\n"
            + "[convolutional]\nfilters=14\nsize=1\nactivation=linear\n\n[yolo]\nmask=0,1\nanchors=4,5, 8,9\nclasses=2\nnum=2\n"
        let config = try DarknetConfig(text: text, source: "tiny.cfg")
        let need = try DarknetNetwork.requiredFloatCount(config)
        for (index, value, field, what) in [(5, Float.nan, "tiny.cfg:6 [convolutional] scales", "NaN"),
                                            (need - 1, Float.infinity, "tiny.cfg:14 [convolutional] weights", "+inf"),
                                            (14, -Float.infinity, "tiny.cfg:6 [convolutional] rolling_variance", "-inf")] {
            var floats = [Float](repeating: 0.5, count: need)
            floats[index] = value
            var w = try DarknetWeights(data: S.weightsFile(floats), path: "nan.weights")
            XCTAssertThrowsError(try DarknetNetwork(config: config, weights: &w)) { e in
                for f in ["nan.weights", field, what] { XCTAssertTrue("\(e)".contains(f), "'\(e)' lacks '\(f)'") }
            }
        }
        // a negative variance would be NaN after folding
        var floats = [Float](repeating: 0.5, count: need)
        floats[12] = -1
        var w = try DarknetWeights(data: S.weightsFile(floats), path: "neg.weights")
        XCTAssertThrowsError(try DarknetNetwork(config: config, weights: &w)) { e in
            XCTAssertTrue("\(e)".contains("rolling_variance") && "\(e)".contains("negative"), "\(e)")
        }
    }

    /// Device files, directories and oversized cfgs are refused before reading (a cfg path of /dev/zero used to
    /// read forever).
    func testNonRegularAndOversizedFiles() throws {
        XCTAssertThrowsError(try DarknetConfig(contentsOf: URL(fileURLWithPath: "/dev/zero"))) { e in
            XCTAssertTrue("\(e)".contains("/dev/zero") && "\(e)".contains("not a regular file"), "\(e)")
        }
        XCTAssertThrowsError(try DarknetWeights(contentsOf: URL(fileURLWithPath: "/dev/zero"))) { e in
            XCTAssertTrue("\(e)".contains("/dev/zero") && "\(e)".contains("not a regular file"), "\(e)")
        }
        XCTAssertThrowsError(try DarknetWeights(contentsOf: URL(fileURLWithPath: NSTemporaryDirectory()))) { e in
            XCTAssertTrue("\(e)".contains("directory"), "\(e)")
        }
        XCTAssertThrowsError(try DarknetConfig(text: "[net]\n" + String(repeating: "[dropout]\n", count: 5000), source: "many.cfg")) { e in
            XCTAssertTrue("\(e)".contains("many.cfg:4097") && "\(e)".contains("4096 sections"), "\(e)")
        }
        XCTAssertThrowsError(try DarknetConfig(text: "[net]\nanchors=" + String(repeating: "1,", count: 5000), source: "long.cfg")) { e in
            XCTAssertTrue("\(e)".contains("long.cfg:2") && "\(e)".contains("anchors"), "\(e)")
        }
    }

    /// Seeded mutations of a valid cfg (every integer replaced by an extreme value, one at a time and in pairs)
    /// with a small weights file: each builds or throws a `DarknetError`; none traps, allocates its way out or
    /// takes long. Bounded: ~1,000 builds, < 2 s.
    func testMutatedConfigsNeverCrash() throws {
        let base = N.yolov3Like
        let numbers = try NSRegularExpression(pattern: "-?[0-9]+")
        let matches = numbers.matches(in: base, range: NSRange(location: 0, length: (base as NSString).length))
        let extremes = ["0", "-1", "1", "2", "7", "65", "99999", "2000000000", "-2147483648", "9223372036854775807"]
        var rng = SeededRandom(seed: 14)
        let weights = S.weightsFile((0..<64).map { S.random($0) })
        let start = Date()
        var built = 0, refused = 0
        for trial in 0..<1000 {
            // replace one or two distinct integers, last first so earlier ranges stay valid
            let picks = Set((0..<(trial % 2 + 1)).map { _ in Int(rng.next() % UInt64(matches.count)) }).sorted(by: >)
            let text = NSMutableString(string: base)
            for k in picks {
                text.replaceCharacters(in: matches[k].range, with: extremes[Int(rng.next() % UInt64(extremes.count))])
            }
            do {
                let config = try DarknetConfig(text: text as String, source: "m.cfg")
                _ = try DarknetNetwork.requiredFloatCount(config)
                var w = try DarknetWeights(data: weights, path: "m.weights")
                _ = try DarknetNetwork(config: config, weights: &w)
                built += 1
            } catch is DarknetError {
                refused += 1
            }
        }
        XCTAssertEqual(built + refused, 1000)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }
}
