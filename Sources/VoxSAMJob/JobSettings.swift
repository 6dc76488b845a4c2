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

    public init(window: Window? = nil, propagation: PropagationMode = .reference, axis: SliceAxis = .k, lowConfidence: Float = 0.6) {
        self.window = window; self.propagation = propagation; self.axis = axis; self.lowConfidence = lowConfidence
    }

    /// Command line (non-nil arguments), else the protocol, else the defaults.
    public static func resolve(window: Window? = nil, propagation: PropagationMode? = nil, axis: SliceAxis? = nil,
                               lowConfidence: Float? = nil, protocol proto: SegmentationProtocol?) throws -> JobSettings {
        if let l = lowConfidence, !(l > 0 && l <= 1) {
            throw VoxSAMError(.invalidArgument, "--low-confidence \(l) is not a predicted-IoU threshold (0 < value <= 1)")
        }
        return JobSettings(window: window ?? proto?.window,
                           propagation: propagation ?? proto?.propagation.mode ?? .reference,
                           axis: axis ?? proto?.propagation.axis ?? .k,
                           lowConfidence: lowConfidence ?? proto?.propagation.lowConfidence ?? 0.6)
    }

    enum CodingKeys: String, CodingKey { case window, propagation, axis, lowConfidence = "low_confidence" }
}
