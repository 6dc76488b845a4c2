/// How scanner values become 8-bit slices for the model and for pictures.
///
/// The one window grammar of VoxSAM (`--window`, a protocol's `window:`, batch settings):
/// a preset name (`Window.presets`), `W,L` (e.g. `400,40`), `pLOW,HIGH` percentiles (e.g.
/// `p0.5,99.5`), `percentile`/`mr`, `dicom`, or `none`/`raw`. Encoded as its canonical `text`.
public enum Window: Sendable, Equatable, Hashable, CustomStringConvertible, Codable {
    /// Explicit window width and level (centre), in scanner units (HU for CT).
    case widthLevel(width: Double, level: Double)
    /// Percentile window over the voxels > 0 (MR default: 0.5 … 99.5 %).
    case percentile(low: Double, high: Double)
    /// The DICOM WindowCenter/WindowWidth of the series (falls back to `fallback` when absent).
    indirect case dicom(fallback: Window)
    /// Values are already 0…255 (CVPR24 npz `imgs`): used as they are.
    case none

    /// CT presets (width, level). `abdomen` (W400 L40) is the reference default.
    public static let ctPresets: [(name: String, width: Double, level: Double)] = [
        ("abdomen", 400, 40), ("soft-tissue", 400, 40), ("liver", 150, 30), ("lung", 1500, -600),
        ("bone", 1800, 400), ("brain", 80, 40), ("mediastinum", 350, 50),
    ]

    /// Every name `parse` accepts besides `W,L` and `pLOW,HIGH`.
    public static var presetNames: [String] { ctPresets.map(\.name) + ["percentile", "mr", "dicom", "none", "raw"] }

    public static let mrDefault = Window.percentile(low: 0.5, high: 99.5)
    public static let ctDefault = Window.widthLevel(width: 400, level: 40)

    /// Parses the window grammar; the error says what is accepted (no path: callers add it).
    public static func parse(_ text: String) throws -> Window {
        let t = text.lowercased().trimmingCharacters(in: .whitespaces)
        if let p = ctPresets.first(where: { $0.name == t }) { return .widthLevel(width: p.width, level: p.level) }
        switch t {
        case "percentile", "mr": return mrDefault
        case "dicom": return .dicom(fallback: ctDefault)
        case "none", "raw": return .none
        default: break
        }
        let isPercentile = t.hasPrefix("p")
        let parts = (isPercentile ? String(t.dropFirst()) : t).split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a.isFinite, b.isFinite else {
            throw VoxSAMError(.invalidArgument, "`\(text)` is not a window: use a preset (\(presetNames.joined(separator: ", "))), `W,L` such as `400,40`, or percentiles such as `p0.5,99.5`")
        }
        if isPercentile {
            guard 0 <= a, a < b, b <= 100 else {
                throw VoxSAMError(.invalidArgument, "percentile window `\(text)` needs 0 <= low < high <= 100")
            }
            return .percentile(low: a, high: b)
        }
        guard a > 0 else { throw VoxSAMError(.invalidArgument, "window `\(text)`: the width (first number) must be > 0") }
        return .widthLevel(width: a, level: b)
    }

    /// The default for a volume: CT W400 L40 for CT (DICOM Modality, or — when the format does not
    /// say, as with NIfTI/NRRD — values reaching −500 or below, i.e. Hounsfield units with air);
    /// percentiles for MR and anything else; none for 8-bit CVPR24 `.npz` images.
    public static func defaultWindow(for volume: Volume) -> Window {
        if volume.metadata.sourceFormat == "npz" && volume.type == .uint8 { return .none }
        if let m = volume.metadata.modality?.uppercased(), !m.isEmpty { return m == "CT" ? ctDefault : mrDefault }
        if let r = volume.voxels.range, r.min <= -500 { return ctDefault }
        return mrDefault
    }

    /// Canonical text in the window grammar (`parse(text) == self`).
    public var text: String {
        switch self {
        case .widthLevel(let w, let l): "\(Self.fmt(w)),\(Self.fmt(l))"
        case .percentile(let lo, let hi): "p\(Self.fmt(lo)),\(Self.fmt(hi))"
        case .dicom: "dicom"
        case .none: "none"
        }
    }

    public var description: String {
        switch self {
        case .widthLevel(let w, let l): "W\(Self.fmt(w)) L\(Self.fmt(l))"
        case .percentile(let lo, let hi): "percentile \(Self.fmt(lo))–\(Self.fmt(hi)) % of voxels > 0"
        case .dicom(let f): "DICOM WindowCenter/Width (else \(f))"
        case .none: "none (values used as they are)"
        }
    }

    public init(from decoder: any Decoder) throws {
        self = try Window.parse(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }

    private static func fmt(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d) }
}
