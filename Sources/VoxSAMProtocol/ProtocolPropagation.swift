/// A protocol's `propagation:` block.
public struct ProtocolPropagation: Sendable, Equatable, Codable {
    /// `reference` (the reference procedure) or `adaptive` (stop a direction once the mask vanishes).
    public enum Mode: String, Sendable, Codable, CaseIterable { case reference, adaptive }

    public var mode: Mode = .reference
    /// Slices whose predicted IoU is below this are flagged (`--low-confidence`).
    public var lowConfidence: Float = 0.6
    /// Slicing axis: `k` (default), `j` or `i`.
    public var axis: String = "k"

    public init(mode: Mode = .reference, lowConfidence: Float = 0.6, axis: String = "k") {
        self.mode = mode; self.lowConfidence = lowConfidence; self.axis = axis
    }

    enum CodingKeys: String, CodingKey { case mode, lowConfidence = "low_confidence", axis }
}
