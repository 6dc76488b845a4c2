import VoxSAMCore

/// Reader of PyTorch checkpoints in the zip format of `torch.save` (PyTorch ≥ 1.6), natively and
/// without Python: the file is memory-mapped, the zip central directory is parsed in place, the
/// `data.pkl` pickle is run by a restricted unpickler that accepts only state-dict opcodes and
/// globals, and tensor blobs (`<archive>/data/<key>`) are read in place.
public enum PyTorchCheckpoint {
    /// Opens the checkpoint at `path` and returns its state dict for strict consumption.
    ///
    /// A top-level dict holding tensors is the state dict; otherwise a `state_dict` or `model`
    /// entry holding a dict is used (training checkpoints). Only the pickle is parsed here; tensor
    /// values are read when taken.
    /// - Throws: `VoxSAMError` — `.notFound` (cannot open), `.corruptFile` (truncated/damaged zip or
    ///   pickle, tensor outside its storage), `.unsupportedFormat` (legacy format, compressed members,
    ///   pickle opcodes or globals outside the state-dict subset), `.model` (no tensors).
    public static func load(path: String) throws -> StateDict {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        let zip: ZipDirectory
        do {
            zip = try ZipDirectory(bytes: bytes, path: path)
        } catch {
            // The legacy format is a bare pickle stream starting with PROTO 2 and a LONG1 magic number.
            if bytes.count >= 3, bytes[0] == 0x80, bytes[1] == 0x02, bytes[2] == 0x8A {
                throw VoxSAMError(.unsupportedFormat,
                                  "the checkpoint uses PyTorch's legacy (pre-1.6, non-zip) format, which VoxSAM does not read; re-save it with a current PyTorch: torch.save(torch.load(path), path)",
                                  path: path)
            }
            throw error
        }

        // `<archive>/data.pkl` — the archive folder name is free (`archive`, the file's stem…).
        let pickles = zip.entries.filter { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }
        guard let pkl = pickles.min(by: { $0.name.count < $1.name.count }) else {
            throw VoxSAMError(.unsupportedFormat,
                              "the file is a zip archive without a data.pkl member, so it is not a PyTorch checkpoint; pass the lite_medsam.pth file or run `voxsam model fetch`",
                              path: path)
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        let pickleBytes = try storedBytes(of: pkl, in: bytes, path: path)
        var unpickler = Unpickler(bytes: pickleBytes, member: pkl.name, path: path)
        let top = try unpickler.load()
        let dict = try stateDict(in: top, path: path)

        var bigEndian = false
        if let order = zip[prefix + "byteorder"] {
            let raw = try storedBytes(of: order, in: bytes, path: path)
            bigEndian = String(decoding: raw, as: UTF8.self).trimmingWhitespace() == "big"
        }

        var tensors: [String: StoredTensor] = [:]
        for (k, v) in dict.items {
            guard case .string(let key) = k else {
                throw VoxSAMError(.unsupportedFormat,
                                  "the state dict has a \(k.kindName) key; state-dict keys must be strings — re-save with torch.save(model.state_dict(), path)",
                                  path: path)
            }
            guard case .tensor(let t) = v else {
                throw VoxSAMError(.unsupportedFormat,
                                  "entry `\(key)` of the state dict is a \(v.kindName), not a tensor; re-save with torch.save(model.state_dict(), path)",
                                  path: path)
            }
            let member = prefix + "data/" + t.storage.key
            guard let entry = zip[member] else {
                throw VoxSAMError(.corruptFile,
                                  "the data of tensor `\(key)` (member \(member)) is missing from the archive; re-download the model with `voxsam model fetch`",
                                  path: path)
            }
            let blob = try storedBytes(of: entry, in: bytes, path: path)
            let (needed, overflow) = t.storage.count.multipliedReportingOverflow(by: t.storage.dtype.itemSize)
            guard !overflow, needed <= blob.count else {
                throw VoxSAMError(.corruptFile,
                                  "the storage of tensor `\(key)` (member \(member)) holds \(blob.count) bytes but needs \(t.storage.count) × \(t.storage.dtype.itemSize); re-download the model with `voxsam model fetch`",
                                  path: path)
            }
            tensors[key] = StoredTensor(dtype: t.storage.dtype, shape: t.shape, strides: t.strides, offset: t.offset,
                                        blob: UnsafeRawBufferPointer(rebasing: blob[0..<needed]), bigEndian: bigEndian)
        }
        guard !tensors.isEmpty else {
            throw VoxSAMError(.model, "the checkpoint contains no tensors; pass the lite_medsam.pth file or run `voxsam model fetch`",
                              path: path)
        }
        return StateDict(path: path, file: file, tensors: tensors)
    }

    /// The state dict inside the unpickled top-level value (unwrapping `state_dict` / `model`).
    private static func stateDict(in top: PickleValue, path: String) throws -> PickleDict {
        guard case .dict(let d) = top else {
            throw VoxSAMError(.unsupportedFormat,
                              "the checkpoint holds a \(top.kindName), not a state dict; re-save with torch.save(model.state_dict(), path)",
                              path: path)
        }
        if d.items.contains(where: { if case .tensor = $0.value { return true } else { return false } }) {
            return d
        }
        for wrapper in ["state_dict", "model"] {
            if let entry = d.items.last(where: { if case .string(wrapper) = $0.key { return true } else { return false } }),
               case .dict(let inner) = entry.value {
                return inner
            }
        }
        let names = d.items.prefix(10).map { item -> String in
            if case .string(let s) = item.key { return s }
            return item.key.kindName
        }
        throw VoxSAMError(.unsupportedFormat,
                          "the checkpoint is a dict without tensors and without a `state_dict` or `model` entry (keys: \(names.joined(separator: ", "))); re-save with torch.save(model.state_dict(), path)",
                          path: path)
    }

    /// The in-place bytes of a stored (uncompressed) member.
    private static func storedBytes(of entry: ZipEntry, in bytes: UnsafeRawBufferPointer,
                                    path: String) throws -> UnsafeRawBufferPointer {
        guard entry.method == 0 else {
            throw VoxSAMError(.unsupportedFormat,
                              "the zip member \(entry.name) is compressed (method \(entry.method)); torch.save stores members uncompressed — do not re-zip the checkpoint, use the original file or `voxsam model fetch`",
                              path: path)
        }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw ZipDirectory.corrupt("the stored member \(entry.name) has different packed and unpacked sizes", path: path)
        }
        return UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
    }
}

private extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
