import Foundation
import VoxSAMCore

/// A restricted pickle virtual machine that runs exactly the opcodes `torch.save` emits for a
/// state dict and refuses everything else (no arbitrary code: only the globals in `PickleGlobal`).
///
/// Supported opcodes: PROTO, FRAME, GLOBAL, STACK_GLOBAL, BINPERSID, REDUCE, BUILD, MARK, TUPLE,
/// TUPLE1/2/3, EMPTY_TUPLE, EMPTY_DICT, SETITEM(S), EMPTY_LIST, APPEND(S), BINGET, LONG_BINGET,
/// BINPUT, LONG_BINPUT, MEMOIZE, BININT, BININT1, BININT2, LONG1, BINUNICODE, SHORT_BINUNICODE,
/// BINFLOAT, NEWTRUE, NEWFALSE, NONE, STOP.
struct Unpickler {
    /// The pickle bytes.
    let bytes: UnsafeRawBufferPointer
    /// Name of the pickle inside the archive (for messages), e.g. `archive/data.pkl`.
    let member: String
    /// The checkpoint file (for messages).
    let path: String

    private var pos = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Offset of the opcode being executed.
    private var opOffset = 0
    private var opcode: UInt8 = 0

    init(bytes: UnsafeRawBufferPointer, member: String, path: String) {
        self.bytes = bytes
        self.member = member
        self.path = path
    }

    /// Every list and dict made, so that a cyclic pickle (a list that contains itself, possible
    /// through the memo; never in a state dict) can be refused and its cycles broken — Swift would
    /// otherwise leak them (found by the pickle fuzzer).
    private var containers: [AnyObject] = []

    /// Runs the pickle up to STOP and returns the top-level value.
    mutating func load() throws -> PickleValue {
        do {
            let value = try run()
            if PickleValue.hasCycle(containers.map(PickleValue.container), budget: 4 * bytes.count + 1024) {
                throw unsupported("a list or dict that contains itself (a cyclic pickle)")
            }
            containers = []
            return value
        } catch {
            breakCycles()
            throw error
        }
    }

    /// Empties every list and dict made (nothing of them is returned after a failure).
    private mutating func breakCycles() {
        for c in containers {
            (c as? PickleList)?.items = []
            (c as? PickleDict)?.items = []
        }
        containers = []
        stack = []
        memo = [:]
    }

    private mutating func run() throws -> PickleValue {
        while true {
            guard pos < bytes.count else {
                throw corrupt("the pickle ends at byte \(bytes.count) without a STOP opcode (truncated)")
            }
            opOffset = pos
            opcode = bytes[pos]
            pos += 1
            switch opcode {
            case 0x80: // PROTO
                let version = try readU8()
                guard version <= 5 else { throw corrupt("pickle protocol \(version) is not defined") }
            case 0x95: // FRAME (length of the next frame; frames are only a buffering hint)
                _ = try read(8)
            case 0x63: // GLOBAL
                let module = try readLine(), name = try readLine()
                stack.append(.global(try lookupGlobal(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw corrupt("STACK_GLOBAL needs two strings, found \(module.kindName) and \(name.kindName)")
                }
                stack.append(.global(try lookupGlobal(module: m, name: n)))
            case 0x51: // BINPERSID
                stack.append(.storage(try persistentLoad(try pop())))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                let made = try call(callable, args)
                if case .dict(let d) = made { containers.append(d) }  // OrderedDict()
                stack.append(made)
            case 0x62: // BUILD
                let state = try pop()
                guard let target = stack.last else { throw corrupt("BUILD on an empty stack") }
                guard case .dict = target else {
                    throw unsupported("BUILD (setting the state of a \(target.kindName) from a \(state.kindName)) is only supported for OrderedDict metadata")
                }
            case 0x28: // MARK
                marks.append(stack.count)
            case 0x74: // TUPLE
                stack.append(.tuple(try popMark()))
            case 0x85: // TUPLE1
                let a = try pop()
                stack.append(.tuple([a]))
            case 0x86: // TUPLE2
                let b = try pop(), a = try pop()
                stack.append(.tuple([a, b]))
            case 0x87: // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(.tuple([a, b, c]))
            case 0x29: // EMPTY_TUPLE
                stack.append(.tuple([]))
            case 0x7D: // EMPTY_DICT
                let d = PickleDict()
                containers.append(d)
                stack.append(.dict(d))
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                try topDict().items.append((key, value))
            case 0x75: // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw corrupt("SETITEMS with an odd number (\(items.count)) of items") }
                let dict = try topDict()
                var i = 0
                while i < items.count {
                    dict.items.append((items[i], items[i + 1]))
                    i += 2
                }
            case 0x5D: // EMPTY_LIST
                let l = PickleList()
                containers.append(l)
                stack.append(.list(l))
            case 0x61: // APPEND
                let value = try pop()
                try topList().items.append(value)
            case 0x65: // APPENDS
                let items = try popMark()
                try topList().items.append(contentsOf: items)
            case 0x68: // BINGET
                stack.append(try memoValue(Int(try readU8())))
            case 0x6A: // LONG_BINGET
                stack.append(try memoValue(Int(try readU32())))
            case 0x71: // BINPUT
                memo[Int(try readU8())] = try top()
            case 0x72: // LONG_BINPUT
                memo[Int(try readU32())] = try top()
            case 0x94: // MEMOIZE
                memo[memo.count] = try top()
            case 0x4A: // BININT
                stack.append(.int(Int(Int32(bitPattern: try readU32()))))
            case 0x4B: // BININT1
                stack.append(.int(Int(try readU8())))
            case 0x4D: // BININT2
                let raw = try read(2)
                stack.append(.int(Int(raw[0]) | Int(raw[1]) << 8))
            case 0x8A: // LONG1
                let n = Int(try readU8())
                stack.append(.int(try decodeLong(try read(n))))
            case 0x58: // BINUNICODE
                stack.append(.string(try readString(count: Int(try readU32()))))
            case 0x8C: // SHORT_BINUNICODE
                stack.append(.string(try readString(count: Int(try readU8()))))
            case 0x47: // BINFLOAT (big-endian IEEE 754 double)
                let raw = try read(8)
                var bits: UInt64 = 0
                for b in raw { bits = bits << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: bits)))
            case 0x88: // NEWTRUE
                stack.append(.bool(true))
            case 0x89: // NEWFALSE
                stack.append(.bool(false))
            case 0x4E: // NONE
                stack.append(.none)
            case 0x2E: // STOP
                let result = try pop()
                return result
            default:
                throw unsupported("unsupported pickle opcode \(PickleOpcode.describe(opcode))")
            }
        }
    }

    // MARK: - Calls

    private func lookupGlobal(module: String, name: String) throws -> PickleGlobal {
        guard let g = PickleGlobal(module: module, name: name) else {
            throw unsupported("the pickle references \(module).\(name), which VoxSAM does not load (allowed: \(PickleGlobal.allowedNames))")
        }
        return g
    }

    private func call(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let g) = callable else {
            throw corrupt("REDUCE calls a \(callable.kindName), which is not callable")
        }
        guard case .tuple(let a) = args else {
            throw corrupt("REDUCE needs an argument tuple for \(g.qualifiedName), found \(args.kindName)")
        }
        switch g {
        case .orderedDict:
            guard a.isEmpty else {
                throw unsupported("collections.OrderedDict is only supported without arguments (got \(a.count))")
            }
            return .dict(PickleDict())
        case .rebuildParameter:
            guard a.count >= 1, case .tensor = a[0] else {
                throw corrupt("torch._utils._rebuild_parameter needs a tensor as its first argument")
            }
            return a[0]
        case .rebuildTensorV2:
            return .tensor(try rebuildTensor(a))
        case .storageClass:
            throw unsupported("calling \(g.qualifiedName) directly is not supported (storages must come from persistent ids)")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private func rebuildTensor(_ a: [PickleValue]) throws -> PickleTensor {
        guard a.count == 6 || a.count == 7 else {
            throw corrupt("torch._utils._rebuild_tensor_v2 expects 6 or 7 arguments, got \(a.count)")
        }
        guard case .storage(let storage) = a[0] else {
            throw corrupt("torch._utils._rebuild_tensor_v2 needs a storage, got \(a[0].kindName)")
        }
        guard case .int(let offset) = a[1], offset >= 0 else {
            throw corrupt("the tensor's storage offset is not a non-negative int")
        }
        let shape = try intTuple(a[2], what: "size")
        let strides = try intTuple(a[3], what: "stride")
        guard shape.count == strides.count else {
            throw corrupt("the tensor has \(shape.count) sizes but \(strides.count) strides")
        }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw corrupt("the tensor has negative sizes or strides (\(shape), \(strides))")
        }
        // The element count must be sane: at most the storage's size, except for broadcast views
        // (a zero stride), which are capped at 2^28 elements.
        var count = 1
        for n in shape {
            let (c, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw corrupt("the tensor's shape \(shape) overflows") }
            count = c
        }
        let limit = strides.contains(0) ? 1 << 28 : storage.count
        guard count <= limit else {
            throw corrupt("a tensor of shape \(shape) (strides \(strides)) has \(count) elements, more than its storage \(storage.key) can back (\(storage.count))")
        }
        // The last element must lie inside the storage (empty tensors touch nothing).
        if count > 0 {
            var last = offset
            for (n, s) in zip(shape, strides) {
                let (m, o1) = (n - 1).multipliedReportingOverflow(by: s)
                let (sum, o2) = last.addingReportingOverflow(m)
                guard !o1, !o2 else { throw corrupt("the tensor's sizes and strides overflow") }
                last = sum
            }
            guard last < storage.count else {
                throw corrupt("a tensor of shape \(shape) (strides \(strides), offset \(offset)) reaches element \(last) of storage \(storage.key), which has only \(storage.count) elements")
            }
        }
        return PickleTensor(storage: storage, offset: offset, shape: shape, strides: strides)
    }

    private func intTuple(_ v: PickleValue, what: String) throws -> [Int] {
        guard case .tuple(let items) = v else { throw corrupt("the tensor's \(what) is a \(v.kindName), not a tuple") }
        return try items.map { item in
            guard case .int(let i) = item else { throw corrupt("the tensor's \(what) contains a \(item.kindName)") }
            return i
        }
    }

    /// Persistent id `('storage', storage_type, key, location, numel)`.
    private func persistentLoad(_ pid: PickleValue) throws -> PickleStorage {
        guard case .tuple(let t) = pid, t.count == 5, case .string("storage") = t[0] else {
            throw unsupported("the persistent id is not a ('storage', type, key, location, numel) tuple")
        }
        guard case .global(.storageClass(let dtype, _)) = t[1] else {
            throw unsupported("the storage type is a \(t[1].kindName), not a torch.<Type>Storage class")
        }
        guard case .string(let key) = t[2], case .string = t[3], case .int(let count) = t[4], count >= 0 else {
            throw corrupt("the storage's key, location or size is malformed")
        }
        return PickleStorage(dtype: dtype, key: key, count: count)
    }

    // MARK: - Stack and memo

    private mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw corrupt("\(PickleOpcode.describe(opcode)) on an empty stack") }
        if let m = marks.last, m > stack.count {
            throw corrupt("\(PickleOpcode.describe(opcode)) pops past a MARK")
        }
        return v
    }

    private func top() throws -> PickleValue {
        guard let v = stack.last else { throw corrupt("\(PickleOpcode.describe(opcode)) on an empty stack") }
        return v
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast() else { throw corrupt("\(PickleOpcode.describe(opcode)) without a MARK") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    private func topDict() throws -> PickleDict {
        guard case .dict(let d) = try top() else {
            throw corrupt("\(PickleOpcode.describe(opcode)) on a \(try top().kindName), not a dict")
        }
        return d
    }

    private func topList() throws -> PickleList {
        guard case .list(let l) = try top() else {
            throw corrupt("\(PickleOpcode.describe(opcode)) on a \(try top().kindName), not a list")
        }
        return l
    }

    private func memoValue(_ index: Int) throws -> PickleValue {
        guard let v = memo[index] else { throw corrupt("memo slot \(index) is read before it is written") }
        return v
    }

    // MARK: - Reading

    private mutating func read(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - pos else {
            throw corrupt("\(PickleOpcode.describe(opcode)) needs \(n) bytes but the pickle ends (truncated)")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
        pos += n
        return slice
    }

    private mutating func readU8() throws -> UInt8 {
        try read(1)[0]
    }

    private mutating func readU32() throws -> UInt32 {
        let raw = try read(4)
        return UInt32(raw[0]) | UInt32(raw[1]) << 8 | UInt32(raw[2]) << 16 | UInt32(raw[3]) << 24
    }

    private mutating func readString(count: Int) throws -> String {
        let raw = try read(count)
        guard let s = String(bytes: raw, encoding: .utf8) else {
            throw corrupt("a string is not valid UTF-8")
        }
        return s
    }

    /// A newline-terminated ASCII line (GLOBAL's module and name).
    private mutating func readLine() throws -> String {
        guard let nl = bytes[pos...].firstIndex(of: 0x0A) else {
            throw corrupt("GLOBAL's name is not terminated (truncated)")
        }
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[pos..<nl]), as: UTF8.self)
        pos = nl + 1
        return s
    }

    /// Little-endian two's-complement integer of up to 8 bytes (LONG1).
    private func decodeLong(_ raw: UnsafeRawBufferPointer) throws -> Int {
        guard raw.count <= 8 else {
            throw unsupported("an integer of \(raw.count) bytes does not fit in 64 bits")
        }
        guard raw.count > 0 else { return 0 }
        var v: UInt64 = 0
        for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        if raw.count < 8, raw[raw.count - 1] & 0x80 != 0 {
            v |= ~UInt64(0) << (8 * UInt64(raw.count))  // sign-extend
        }
        return Int(Int64(bitPattern: v))
    }

    // MARK: - Errors

    private func corrupt(_ detail: String) -> VoxSAMError {
        VoxSAMError(.corruptFile,
                    "the checkpoint's pickle \(member) is damaged at byte offset \(opOffset): \(detail); re-download the model with `voxsam model fetch`",
                    path: path)
    }

    private func unsupported(_ detail: String) -> VoxSAMError {
        VoxSAMError(.unsupportedFormat,
                    "\(detail) at byte offset \(opOffset) of \(member); VoxSAM reads only plain state dicts saved with torch.save(model.state_dict(), path) — re-save the checkpoint that way or use `voxsam model fetch`",
                    path: path)
    }
}
