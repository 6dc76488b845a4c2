import VoxSAMCore

/// The modality a protocol is written for.
public enum ImagingModality: String, Sendable, Codable, CaseIterable {
    case ct = "CT"
    case mr = "MR"

    /// The window used when a protocol gives none: CT W400 L40 (`abdomen`), MR percentiles 0.5–99.5.
    public var defaultWindow: Window { self == .ct ? Window.ctDefault : Window.mrDefault }
}
