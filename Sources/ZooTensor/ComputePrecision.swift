import Foundation

/// The arithmetic a model's convolutions run in. A setting on the run (`Workspace.precision`, defaulting to the
/// process-wide `ComputePrecision.default` that the CLI's `--precision` sets), not a second model: the weights
/// stay fp32 in the layers and the oneDNN backend packs a bf16 copy of each conv's weights on first use.
public enum ComputePrecision: String, Sendable, CaseIterable {
    /// IEEE single precision everywhere (parity with the references, 1e-4).
    case fp32
    /// oneDNN convolutions with bf16 weights and bf16 inputs (converted at each conv boundary), fp32 accumulation,
    /// bias, activation and outputs; every other layer stays fp32. Needs AVX512_BF16 to be fast (oneDNN emulates
    /// it on plain AVX-512 and refuses it below; such layers run fp32, see `DNNL.supportsBF16`).
    case bf16

    /// The precision of workspaces that do not set one. `vz --precision` sets it once at start-up.
    nonisolated(unsafe) public static var `default`: ComputePrecision = .fp32
}
