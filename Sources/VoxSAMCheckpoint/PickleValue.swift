/// A value on the unpickler's stack. Only what a PyTorch state dict needs is representable;
/// lists and dicts are reference types because the pickle memo shares and mutates them.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// An allowed global (class or function) from GLOBAL / STACK_GLOBAL.
    case global(PickleGlobal)
    /// A tensor storage from BINPERSID.
    case storage(PickleStorage)
    /// A tensor rebuilt by `torch._utils._rebuild_tensor_v2`.
    case tensor(PickleTensor)

    /// The Python-ish name of the value's type, for error messages.
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let g): return "global \(g.qualifiedName)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

extension PickleValue {
    /// A list or dict as a value.
    static func container(_ o: AnyObject) -> PickleValue {
        if let l = o as? PickleList { return .list(l) }
        return .dict(o as! PickleDict)
    }

    /// Whether a list or dict reachable from `roots` contains itself. Iterative (no recursion on
    /// deep nesting); visits at most `budget` values — a pickle that shares values more than that
    /// (memo references doubling tuples) counts as cyclic rather than taking exponential time.
    static func hasCycle(_ roots: [PickleValue], budget: Int) -> Bool {
        enum Step { case visit(PickleValue), leave(ObjectIdentifier) }
        var done: [ObjectIdentifier: Bool] = [:]  // false: on the current path, true: finished
        var work: [Step] = roots.map { .visit($0) }
        var visited = 0
        while let step = work.popLast() {
            guard case .visit(let v) = step else {
                if case .leave(let id) = step { done[id] = true }
                continue
            }
            visited += 1
            if visited > budget { return true }
            var id: ObjectIdentifier?
            var children: [PickleValue] = []
            switch v {
            case .tuple(let a): children = a
            case .list(let l): id = ObjectIdentifier(l); children = l.items
            case .dict(let d): id = ObjectIdentifier(d); children = d.items.flatMap { [$0.key, $0.value] }
            default: continue
            }
            if let id {
                if let finished = done[id] { if finished { continue } else { return true } }
                done[id] = false
                work.append(.leave(id))
            }
            work.append(contentsOf: children.map { .visit($0) })
        }
        return false
    }
}

/// A mutable Python list.
final class PickleList {
    var items: [PickleValue] = []
}

/// A mutable Python dict (or `OrderedDict`), keeping insertion order.
final class PickleDict {
    var items: [(key: PickleValue, value: PickleValue)] = []
}

/// The globals a state-dict pickle may reference; anything else is refused.
enum PickleGlobal {
    case orderedDict
    case rebuildTensorV2
    case rebuildParameter
    case storageClass(TensorDType, name: String)

    /// Looks up `module.name`; nil if it is not allowed.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard let dtype = TensorDType(storageClass: name) else { return nil }
            self = .storageClass(dtype, name: name)
        default: return nil
        }
    }

    /// `module.name` as Python spells it.
    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .storageClass(_, let name): return "torch.\(name)"
        }
    }

    /// The allowed globals, for error messages.
    static let allowedNames = "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.<Type>Storage"
}

/// A storage referenced by a persistent id `('storage', storage_type, key, location, numel)`.
struct PickleStorage {
    let dtype: TensorDType
    /// Name of the blob inside the archive's `data/` folder.
    let key: String
    /// Number of elements in the storage.
    let count: Int
}

/// A strided view into a storage.
struct PickleTensor {
    let storage: PickleStorage
    /// Offset of the first element, in elements.
    let offset: Int
    let shape: [Int]
    /// Strides in elements.
    let strides: [Int]
}
