import ArgumentParser
import ZooTensor

extension ComputePrecision: ExpressibleByArgument {}

/// `--precision fp32|bf16`, shared by the commands that run models: the arithmetic of every convolution
/// (`ComputePrecision.default`; the weights on disk and in the layers stay fp32).
struct PrecisionOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Convolution arithmetic: fp32 (default; matches the reference implementations to 1e-4) or bf16 (oneDNN bf16 "
            + "convolutions with fp32 accumulation, up to 2x faster per conv on CPUs with AVX512_BF16; the worst raw "
            + "output moves by 1-17 % of the output range, detection AP on voc100 by at most 0.004 — see BENCHMARKS.md).",
        valueName: "fp32|bf16"))
    var precision: ComputePrecision = .fp32

    /// Sets the process-wide precision (call once, before models run).
    func apply() {
        if precision == .bf16 && !(DNNL.active && DNNL.supportsBF16) {
            Stderr.print("warning: --precision bf16: \(DNNL.active ? "this CPU has no AVX512_BF16 (\(DNNL.isaName)): oneDNN emulates bf16 (slow) or runs the layer in fp32" : "oneDNN is off (VZ_ONEDNN=0): convolutions run in fp32")")
        }
        ComputePrecision.default = precision
    }
}
