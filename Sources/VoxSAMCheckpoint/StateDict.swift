import VoxSAMCore

/// The tensors of a PyTorch checkpoint, consumed strictly by a model loader.
///
/// Every key must be either taken (`take`) with the exact shape the model expects, or explicitly
/// skipped (`skip`); `finish()` then fails if any key was left over. This catches a checkpoint
/// that does not match the architecture instead of silently running with missing weights.
///
/// The file stays memory-mapped while the `StateDict` lives; values are copied out on `take`.
/// Not thread-safe: use one `StateDict` from one thread.
public final class StateDict {
    /// The checkpoint file.
    public let path: String
    private let file: MappedFile
    private let tensors: [String: StoredTensor]
    private var consumed: Set<String> = []

    init(path: String, file: MappedFile, tensors: [String: StoredTensor]) {
        self.path = path
        self.file = file
        self.tensors = tensors
    }

    /// All floating-point tensors, sorted.
    public var keys: [String] {
        tensors.filter { $0.value.dtype.isFloatingPoint }.keys.sorted()
    }

    /// All tensors, including integer ones such as `num_batches_tracked`, sorted.
    public var allKeys: [String] {
        tensors.keys.sorted()
    }

    /// Keys neither taken nor skipped so far, sorted.
    public var remainingKeys: [String] {
        tensors.keys.filter { !consumed.contains($0) }.sorted()
    }

    /// Shape and dtype of `key` without reading or consuming it; nil if there is no such tensor.
    public func peek(_ key: String) -> TensorInfo? {
        tensors[key]?.info
    }

    /// The values of float tensor `key`, which must have exactly `shape`; marks it as used.
    /// float64/float16/bfloat16 tensors are converted to float32. Taking a key twice is allowed.
    /// - Throws: `VoxSAMError(.model)` naming the key if it is missing, not floating-point or
    ///   has another shape (both shapes are shown).
    public func take(_ key: String, shape: [Int]) throws -> TensorData {
        let t = try checked(key, shape: shape)
        consumed.insert(key)
        return TensorData(shape: t.shape, values: t.floats())
    }

    /// Calls `body` with the values of float tensor `key` (exact `shape`, C order) without copying
    /// them when the checkpoint stores them as contiguous little-endian float32 (the usual case);
    /// otherwise with a converted temporary copy. The pointer is valid only inside `body`.
    /// Marks the key as used; throws like `take`.
    public func withUnsafeValues<R>(_ key: String, shape: [Int],
                                    _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        let t = try checked(key, shape: shape)
        consumed.insert(key)
        if let inPlace = t.inPlaceFloats {
            return try withExtendedLifetime(file) { try body(inPlace) }
        }
        return try t.floats().withUnsafeBufferPointer(body)
    }

    /// Marks `key` as deliberately unused (e.g. `num_batches_tracked`).
    /// - Throws: `VoxSAMError(.model)` if the checkpoint has no such key.
    public func skip(_ key: String) throws {
        guard tensors[key] != nil else {
            throw VoxSAMError(.model, "missing key `\(key)`: the checkpoint has no such tensor to skip, so it does not match the model architecture; \(StateDict.fix)",
                              path: path)
        }
        consumed.insert(key)
    }

    /// Checks that every key was taken or skipped.
    /// - Throws: `VoxSAMError(.model)` listing every unknown (never used) key.
    public func finish() throws {
        let left = remainingKeys
        guard left.isEmpty else {
            throw VoxSAMError(.model, "unknown keys in the checkpoint (\(left.count), never used by the model): \(left.joined(separator: ", ")); the checkpoint does not match the model architecture; \(StateDict.fix)",
                              path: path)
        }
    }

    private func checked(_ key: String, shape: [Int]) throws -> StoredTensor {
        guard let t = tensors[key] else {
            throw VoxSAMError(.model, "missing key `\(key)` (expected shape \(shape)): the checkpoint has no such tensor, so it does not match the model architecture; \(StateDict.fix)",
                              path: path)
        }
        guard t.dtype.isFloatingPoint else {
            throw VoxSAMError(.model, "tensor `\(key)` is \(t.dtype.rawValue), but the model expects float weights of shape \(shape); \(StateDict.fix)",
                              path: path)
        }
        guard t.shape == shape else {
            throw VoxSAMError(.model, "tensor `\(key)` has shape \(t.shape) in the checkpoint but the model expects \(shape); the checkpoint does not match the model architecture; \(StateDict.fix)",
                              path: path)
        }
        return t
    }

    /// The fix offered by every architecture-mismatch error.
    static let fix = "use the LiteMedSAM checkpoint installed by `voxsam model fetch`"
}
