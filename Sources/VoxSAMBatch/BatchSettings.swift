import VoxSAMProtocol

/// Settings that change a study's outputs (part of the resume key and of every manifest record).
public struct BatchSettings: Codable, Sendable, Equatable {
    /// `--window` text, or nil for the per-volume default.
    public var window: String?
    public var propagation: String
    public var axis: String
    public var lowConfidence: Float
    public var outputs: [ProtocolOutput]
    /// Bumped when VoxSAM changes what it writes for the same inputs.
    public var format = 1

    public init(window: String?, propagation: String, axis: String, lowConfidence: Float, outputs: [ProtocolOutput]) {
        self.window = window; self.propagation = propagation; self.axis = axis
        self.lowConfidence = lowConfidence; self.outputs = outputs
    }

    enum CodingKeys: String, CodingKey {
        case window, propagation, axis, lowConfidence = "low_confidence", outputs, format
    }
}
