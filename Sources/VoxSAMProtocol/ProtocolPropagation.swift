import VoxSAMCore

/// A protocol's `propagation:` block, in the shared types.
public struct ProtocolPropagation: Sendable, Equatable, Codable {
    /// `reference` (the reference procedure) or `adaptive` (stop a direction once the mask vanishes).
    public var mode: PropagationMode = .reference
    /// Slices whose predicted IoU is below this are flagged (`--low-confidence`).
    public var lowConfidence: Float = ConfidenceFlags.defaultLowIoU
    /// Slicing axis: `k` (default), `j` or `i`.
    public var axis: SliceAxis = .k

    public init(mode: PropagationMode = .reference, lowConfidence: Float = ConfidenceFlags.defaultLowIoU, axis: SliceAxis = .k) {
        self.mode = mode; self.lowConfidence = lowConfidence; self.axis = axis
    }

    enum CodingKeys: String, CodingKey { case mode, lowConfidence = "low_confidence", axis }
}
