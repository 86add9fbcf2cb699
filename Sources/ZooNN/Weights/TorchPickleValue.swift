import ZooTensor

/// A value produced by the restricted unpickler (`TorchPickleMachine`).
///
/// Only what a PyTorch `state_dict` needs is representable: scalars, strings, containers, the few allowed
/// globals, storages referenced by persistent id and tensors rebuilt from them. Lists and dicts are reference
/// boxes because pickle's memo shares and mutates them (APPEND / SETITEM after BINPUT).
public indirect enum TorchPickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([TorchPickleValue])
    case list(TorchPickleList)
    case dict(TorchPickleDict)
    /// An allowed `module.name` global (a callable to be REDUCEd).
    case global(String)
    /// A storage named by a persistent id: key in the storages section, element type, element count.
    case storage(TorchStorageRef)
    /// A tensor view of a storage (`torch._utils._rebuild_tensor_v2`).
    case tensor(TorchTensorRef)

    /// Short description for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let g): return "global \(g)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A mutable pickle list.
public final class TorchPickleList { public var items: [TorchPickleValue] = [] }

/// A mutable pickle dict (insertion-ordered, as `collections.OrderedDict`); keys are kept as values.
public final class TorchPickleDict { public var items: [(key: TorchPickleValue, value: TorchPickleValue)] = [] }

/// Element types of legacy torch storages (`torch.FloatStorage` …) and their sizes in bytes.
public enum TorchStorageType: String, Sendable {
    case float = "FloatStorage", double = "DoubleStorage", half = "HalfStorage", bfloat16 = "BFloat16Storage"
    case long = "LongStorage", int = "IntStorage", short = "ShortStorage", char = "CharStorage"
    case byte = "ByteStorage", bool = "BoolStorage"

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .double, .long: return 8
        case .float, .int: return 4
        case .half, .bfloat16, .short: return 2
        case .char, .byte, .bool: return 1
        }
    }
}

/// A storage named by a persistent id `('storage', torch.XStorage, key, location, numel[, view_metadata])`.
public struct TorchStorageRef {
    public var key: String
    public var type: TorchStorageType
    public var count: Int
}

/// A strided view of a storage: `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`.
public struct TorchTensorRef {
    public var storage: TorchStorageRef
    public var offset: Int
    public var shape: [Int]
    public var strides: [Int]
}
