/// The values of one float tensor, contiguous in C (row-major) order.
public struct TensorData: Sendable {
    /// Shape in PyTorch order; `[]` for a scalar.
    public let shape: [Int]
    /// `shape.reduce(1, *)` values, last dimension fastest.
    public let values: [Float]

    /// A tensor from its shape and C-ordered values (`values.count` must equal the product of `shape`).
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "TensorData: \(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Number of elements.
    public var count: Int { values.count }
}
