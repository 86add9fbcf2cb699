// ZooNN re-exports ZooTensor so `import ZooNN` gives Tensor, Ops, Padding, Workspace and the kernels too.
@_exported import ZooTensor
