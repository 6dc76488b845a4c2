/// What a checkpoint says about one tensor, without reading its values.
public struct TensorInfo: Sendable, Equatable {
    /// Shape in PyTorch order (e.g. `[out, in, kh, kw]` for a convolution weight); `[]` for a scalar.
    public let shape: [Int]
    /// Element type.
    public let dtype: TensorDType

    /// Number of elements (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
}
