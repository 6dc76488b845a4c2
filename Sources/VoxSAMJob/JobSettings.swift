import VoxSAMCore
import VoxSAMProtocol

/// The settings that decide a segmentation's result, resolved once: the command line's value, else
/// the protocol's, else the default. Batch hashes this value into its resume key and records it in
/// every manifest record.
public struct JobSettings: Codable, Sendable, Equatable {
    /// nil: the volume's default (`Window.defaultWindow(for:)`).
    public var window: Window?
    public var propagation: PropagationMode
    public var axis: SliceAxis
    /// Slices whose predicted IoU is below this are flagged.
    public var lowConfidence: Float
    /// The encoder arithmetic asked for (`--precision`, the protocol's `precision`); the model resolves
    /// it against the CPU when it loads.
    public var precision: Precision

    public init(window: Window? = nil, propagation: PropagationMode = .reference, axis: SliceAxis = .k, lowConfidence: Float = ConfidenceFlags.defaultLowIoU,
                precision: Precision = .fp32) {
        self.window = window; self.propagation = propagation; self.axis = axis; self.lowConfidence = lowConfidence
        self.precision = precision
    }

    /// Command line (non-nil arguments), else the protocol, else the defaults.
    public static func resolve(window: Window? = nil, propagation: PropagationMode? = nil, axis: SliceAxis? = nil,
                               lowConfidence: Float? = nil, precision: Precision? = nil,
                               protocol proto: SegmentationProtocol?) throws -> JobSettings {
        if let l = lowConfidence, !(l > 0 && l <= 1) {
            throw VoxSAMError(.invalidArgument, "--low-confidence \(l) is not a predicted-IoU threshold (0 < value <= 1)")
        }
        return JobSettings(window: window ?? proto?.window,
                           propagation: propagation ?? proto?.propagation.mode ?? .reference,
                           axis: axis ?? proto?.propagation.axis ?? .k,
                           lowConfidence: lowConfidence ?? proto?.propagation.lowConfidence ?? ConfidenceFlags.defaultLowIoU,
                           precision: precision ?? proto?.precision ?? .fp32)
    }

    enum CodingKeys: String, CodingKey { case window, propagation, axis, lowConfidence = "low_confidence", precision }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        window = try c.decodeIfPresent(Window.self, forKey: .window)
        propagation = try c.decode(PropagationMode.self, forKey: .propagation)
        axis = try c.decode(SliceAxis.self, forKey: .axis)
        lowConfidence = try c.decode(Float.self, forKey: .lowConfidence)
        precision = try c.decodeIfPresent(Precision.self, forKey: .precision) ?? .fp32
    }

    /// `precision` only when it is not fp32, so that settings (and batch resume keys) written before
    /// it existed stay the same.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(window, forKey: .window)
        try c.encode(propagation, forKey: .propagation)
        try c.encode(axis, forKey: .axis)
        try c.encode(lowConfidence, forKey: .lowConfidence)
        if precision != .fp32 { try c.encode(precision, forKey: .precision) }
    }
}
