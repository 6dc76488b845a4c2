import VoxSAMCore

/// A protocol's `window:`, in the syntax of `voxsam segment --window`: a preset name
/// (`abdomen`, `soft-tissue`, `liver`, `lung`, `bone`, `brain`, `mediastinum`, `percentile`/`mr`,
/// `dicom`, `none`), `W,L` (e.g. `400,40`) or `pLOW,HIGH` percentiles (e.g. `p0.5,99.5`).
///
/// The protocol layer only checks the syntax; `text` is handed to `Window.parse` (VoxSAMIO) by
/// whoever windows the image, so both always agree on the meaning.
public struct ProtocolWindow: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Preset names `Window.parse` knows (kept equal to `Window.ctPresets` + the named modes; tested).
    public static let presetNames = ["abdomen", "soft-tissue", "liver", "lung", "bone", "brain", "mediastinum",
                                     "percentile", "mr", "dicom", "none", "raw"]

    public enum Kind: Sendable, Equatable, Codable {
        case preset(String)
        case widthLevel(width: Double, level: Double)
        case percentile(low: Double, high: Double)
    }

    public var kind: Kind
    /// The text to pass to `Window.parse` / `--window`.
    public var text: String
    public var description: String { text }

    /// Parses the `--window` syntax; the error message says what is accepted (no path: callers add it).
    public init(parsing raw: String) throws {
        let t = raw.lowercased().trimmingCharacters(in: .whitespaces)
        if ProtocolWindow.presetNames.contains(t) {
            kind = .preset(t); text = t; return
        }
        let isPercentile = t.hasPrefix("p")
        let parts = (isPercentile ? String(t.dropFirst()) : t).split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a.isFinite, b.isFinite else {
            throw VoxSAMError(.invalidArgument, "`\(raw)` is not a window: use a preset (\(ProtocolWindow.presetNames.joined(separator: ", "))), `W,L` such as `400,40`, or percentiles such as `p0.5,99.5`")
        }
        if isPercentile {
            guard 0 <= a, a < b, b <= 100 else {
                throw VoxSAMError(.invalidArgument, "percentile window `\(raw)` needs 0 <= low < high <= 100")
            }
            kind = .percentile(low: a, high: b)
        } else {
            guard a > 0 else { throw VoxSAMError(.invalidArgument, "window `\(raw)`: the width (first number) must be > 0") }
            kind = .widthLevel(width: a, level: b)
        }
        text = t.replacingOccurrences(of: " ", with: "")
    }
}
