import ZooNN

/// Deprecated name of `ZooNN.TensorArena`, kept so the face models need no edit while they are being changed
/// elsewhere; new code uses `TensorArena`. Remove once the face models are migrated.
typealias FaceTensorCache = TensorArena
