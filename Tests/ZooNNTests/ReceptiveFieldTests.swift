import XCTest
import ZooNN

/// Receptive-field arithmetic on hand-computed cases, and the arena trace that applies it.
final class ReceptiveFieldTests: XCTestCase {
    /// Three 3×3 convs, stride 1: 1 + 2 + 2 + 2 = 7 (VGG's "three 3×3 see a 7×7").
    func testStackedThreeByThree() {
        var f = ReceptiveField.pixel
        for _ in 0..<3 { f = f.window(kernel: 3) }
        XCTAssertEqual(f, ReceptiveField(size: 7, jump: 1))
    }

    /// Dilated 3×3 stack with dilations 1, 2, 4 (WaveNet/DeepLab context module): 1 + 2 + 4 + 8 = 15.
    func testDilatedStack() {
        var f = ReceptiveField.pixel
        for d in [1, 2, 4] { f = f.window(kernel: 3, dilation: d) }
        XCTAssertEqual(f, ReceptiveField(size: 15, jump: 1))
    }

    /// Strided convs and pools: 7×7/2 conv → 3×3/2 max-pool (ResNet stem) = 7 + 2·2 = 11, jump 4; then a 3×3
    /// conv at jump 4 adds 8: 19.
    func testStridedConvAndPool() {
        let stem = ReceptiveField.pixel.window(kernel: 7, stride: 2).window(kernel: 3, stride: 2)
        XCTAssertEqual(stem, ReceptiveField(size: 11, jump: 4))
        XCTAssertEqual(stem.window(kernel: 3), ReceptiveField(size: 19, jump: 4))
    }

    /// Upsampling keeps the size and divides the jump; merging takes the larger field at the finer jump.
    func testUpsampleAndMerge() {
        let coarse = ReceptiveField(size: 43, jump: 32).upsampled(by: 2)
        XCTAssertEqual(coarse, ReceptiveField(size: 43, jump: 16))
        XCTAssertEqual(ReceptiveField.merge([coarse, ReceptiveField(size: 19, jump: 16)]), ReceptiveField(size: 43, jump: 16))
    }

    /// The arena trace applies the arithmetic to the layers it runs (a dilated conv, a pool, an upsample, an
    /// add) and counts multiply-accumulates and parameters.
    func testArenaTraceFollowsTheLayersRun() {
        let arena = TensorArena(), ws = Workspace()
        let trace = ArenaTrace()
        arena.trace = trace
        let conv = Conv2d(inChannels: 2, outChannels: 4, kernel: 3, padding: 2, dilation: 2)
        let pool = MaxPool2d(kernel: 2, stride: 2)
        let x = Tensor(zeros: [1, 2, 8, 8])
        let a = arena.run(conv, x, ws)                        // 1 + 2·2 = 5, jump 1
        let b = arena.run(pool, a, ws)                        // 5 + 1 = 6, jump 2
        let c = arena.run(Upsample(scale: 2), b, ws)          // 6, jump 1
        let d = arena.add(c, a)
        XCTAssertEqual(trace.field(of: a), ReceptiveField(size: 5, jump: 1))
        XCTAssertEqual(trace.field(of: b), ReceptiveField(size: 6, jump: 2))
        XCTAssertEqual(trace.field(of: c), ReceptiveField(size: 6, jump: 1))
        XCTAssertEqual(trace.field(of: d), ReceptiveField(size: 6, jump: 1))
        XCTAssertEqual(trace.multiplyAccumulates, 4 * 8 * 8 * 2 * 9)
        XCTAssertEqual(trace.parameters, 4 * 2 * 9 + 4)
    }
}
