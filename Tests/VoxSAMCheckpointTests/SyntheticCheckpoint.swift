import Foundation

/// Builds tiny PyTorch-style checkpoints (zip of `archive/data.pkl` + `archive/data/N`) in tests,
/// so the reader is tested without the real model. The pickle bytes mirror what `torch.save`
/// writes for a state dict (protocol 2, `_rebuild_tensor_v2`, persistent ids for storages).
struct SyntheticCheckpoint {
    /// One tensor: a view (`offset`, `shape`, `strides`) into storage `storageKey`.
    struct Tensor {
        var key: String
        var storageClass = "FloatStorage"
        var storageKey: String
        var storageCount: Int
        var offset = 0
        var shape: [Int]
        var strides: [Int]
    }

    var tensors: [Tensor] = []
    /// Raw bytes of each storage, by key.
    var storages: [String: [UInt8]] = [:]
    /// If set, the state dict is wrapped as `{"epoch": 7, wrapper: state_dict}`.
    var wrapper: String?
    /// Bytes inserted into the pickle right after PROTO (e.g. an unsupported opcode).
    var injected: [UInt8] = []
    /// Extra archive members (e.g. `archive/byteorder`).
    var extraMembers: [(String, [UInt8])] = []
    /// Write zip64 end records like PyTorch does.
    var zip64 = true
    /// Compression method written for every member (8 to test refusal of deflate).
    var method: UInt16 = 0

    /// Adds a contiguous float32 tensor with its own storage.
    mutating func addFloat(_ key: String, shape: [Int], values: [Float]) {
        let storageKey = String(storages.count)
        storages[storageKey] = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        tensors.append(Tensor(key: key, storageKey: storageKey, storageCount: values.count, shape: shape,
                              strides: SyntheticCheckpoint.contiguousStrides(shape)))
    }

    /// Adds an int64 scalar (like `num_batches_tracked`).
    mutating func addInt64Scalar(_ key: String, value: Int64) {
        let storageKey = String(storages.count)
        storages[storageKey] = withUnsafeBytes(of: value.littleEndian, Array.init)
        tensors.append(Tensor(key: key, storageClass: "LongStorage", storageKey: storageKey, storageCount: 1,
                              shape: [], strides: []))
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = s
            s *= shape[d]
        }
        return strides
    }

    // MARK: - Pickle

    func pickle() -> [UInt8] {
        var p = PickleWriter()
        p.op(0x80); p.byte(2)  // PROTO 2
        p.bytes += injected
        if let wrapper {
            p.op(0x7D)  // EMPTY_DICT
            p.op(0x28)  // MARK
            p.string("epoch"); p.int(7)
            p.string(wrapper)
        }
        p.global("collections", "OrderedDict"); p.put(0)
        p.op(0x29); p.op(0x52)  // EMPTY_TUPLE, REDUCE → OrderedDict()
        p.op(0x28)  // MARK
        for t in tensors {
            p.string(t.key)
            p.global("torch._utils", "_rebuild_tensor_v2")
            p.op(0x28)  // MARK (args)
            p.op(0x28)  // MARK (persistent id)
            p.string("storage"); p.global("torch", t.storageClass); p.string(t.storageKey); p.string("cpu"); p.int(t.storageCount)
            p.op(0x74)  // TUPLE
            p.op(0x51)  // BINPERSID
            p.int(t.offset)
            p.tuple(t.shape)
            p.tuple(t.strides)
            p.op(0x89)  // NEWFALSE
            p.get(0); p.op(0x29); p.op(0x52)  // OrderedDict() backward hooks
            p.op(0x74)  // TUPLE
            p.op(0x52)  // REDUCE
        }
        p.op(0x75)  // SETITEMS
        // _metadata via BUILD, as torch.save writes it.
        p.op(0x7D)  // EMPTY_DICT
        p.string("_metadata"); p.get(0); p.op(0x29); p.op(0x52)
        p.op(0x28); p.string(""); p.op(0x7D); p.string("version"); p.int(1); p.op(0x73); p.op(0x75)
        p.op(0x73)  // SETITEM
        p.op(0x62)  // BUILD
        if wrapper != nil { p.op(0x75) }  // SETITEMS of the wrapper dict
        p.op(0x2E)  // STOP
        return p.bytes
    }

    // MARK: - Zip

    func archiveBytes() -> [UInt8] {
        var members: [(String, [UInt8])] = [("archive/data.pkl", pickle())]
        for key in storages.keys.sorted() { members.append(("archive/data/\(key)", storages[key] ?? [])) }
        members += extraMembers
        members.append(("archive/version", Array("3\n".utf8)))
        return ZipWriter.archive(members, zip64: zip64, method: method)
    }

    /// Writes the checkpoint to a new file in `dir` and returns its path.
    func write(in dir: URL, name: String = "synthetic.pth") throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(archiveBytes()).write(to: url)
        return url.path
    }
}

/// Emits pickle opcodes.
struct PickleWriter {
    var bytes: [UInt8] = []
    mutating func op(_ code: UInt8) { bytes.append(code) }
    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func u32(_ v: UInt32) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        if utf8.count < 256 { op(0x8C); byte(UInt8(utf8.count)) } else { op(0x58); u32(UInt32(utf8.count)) }
        bytes += utf8
    }
    mutating func int(_ v: Int) {
        if v >= 0 && v < 256 { op(0x4B); byte(UInt8(v)) }
        else if v >= 0 && v < 65536 { op(0x4D); byte(UInt8(v & 255)); byte(UInt8(v >> 8)) }
        else if v >= Int(Int32.min) && v <= Int(Int32.max) { op(0x4A); u32(UInt32(bitPattern: Int32(v))) }
        else { op(0x8A); byte(8); bytes += withUnsafeBytes(of: Int64(v).littleEndian, Array.init) }
    }
    mutating func tuple(_ values: [Int]) {
        switch values.count {
        case 0: op(0x29)
        case 1: int(values[0]); op(0x85)
        case 2: int(values[0]); int(values[1]); op(0x86)
        case 3: int(values[0]); int(values[1]); int(values[2]); op(0x87)
        default: op(0x28); values.forEach { int($0) }; op(0x74)
        }
    }
    mutating func global(_ module: String, _ name: String) {
        op(0x63); bytes += Array("\(module)\n\(name)\n".utf8)
    }
    mutating func put(_ i: UInt8) { op(0x71); byte(i) }
    mutating func get(_ i: UInt8) { op(0x68); byte(i) }
}

/// A minimal zip writer (stored members, data descriptors off, optional zip64 end records).
enum ZipWriter {
    static func archive(_ members: [(String, [UInt8])], zip64: Bool, method: UInt16 = 0) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, data) in members {
            let nameBytes = Array(name.utf8)
            let crc = crc32(data)
            let offset = out.count
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21)
            out += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count))
            out += le16(UInt16(nameBytes.count)) + le16(0) + nameBytes + data
            central += le32(0x0201_4B50) + le16(0x031E) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0x21)
            central += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count))
            central += le16(UInt16(nameBytes.count)) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
            central += le32(UInt32(offset)) + nameBytes
        }
        let cdOffset = out.count
        out += central
        if zip64 {
            let record = out.count
            out += le32(0x0606_4B50) + le64(44) + le16(0x031E) + le16(45) + le32(0) + le32(0)
            out += le64(UInt64(members.count)) + le64(UInt64(members.count))
            out += le64(UInt64(central.count)) + le64(UInt64(cdOffset))
            out += le32(0x0706_4B50) + le32(0) + le64(UInt64(record)) + le32(1)
        }
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(members.count)) + le16(UInt16(members.count))
        out += le32(UInt32(central.count)) + le32(UInt32(cdOffset)) + le16(0)
        return out
    }

    static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in data {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
