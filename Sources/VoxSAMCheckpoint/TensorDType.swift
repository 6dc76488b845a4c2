/// Element type of a tensor stored in a PyTorch checkpoint (from its storage class, e.g. `torch.FloatStorage`).
public enum TensorDType: String, Sendable, CaseIterable, Codable {
    case float32, float64, float16, bfloat16
    case int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether `StateDict.take` can return the tensor as `[Float]` (float64/16 and bfloat16 are converted).
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// The dtype of a legacy PyTorch storage class name (`FloatStorage` → `.float32`), as pickled by `torch.save`.
    init?(storageClass name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }
}
