import Foundation
import VoxSAMCore

/// How scanner values become 8-bit slices for the model and for pictures.
public enum Window: Sendable, Equatable, CustomStringConvertible {
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

    public static let mrDefault = Window.percentile(low: 0.5, high: 99.5)
    public static let ctDefault = Window.widthLevel(width: 400, level: 40)

    /// Parses `abdomen`, `lung`, …, `W,L` (e.g. `400,40`), `percentile`, `p0.5,99.5`, `dicom`, `none`.
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
        let parts = (isPercentile ? String(t.dropFirst()) : t).split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1] else {
            throw VoxSAMError(.invalidArgument, "unknown window `\(text)`: use a preset (\(ctPresets.map(\.name).joined(separator: ", "))), `W,L` such as `400,40`, `p0.5,99.5`, `dicom` or `none`")
        }
        if isPercentile {
            guard 0 <= a, a < b, b <= 100 else { throw VoxSAMError(.invalidArgument, "percentile window `\(text)` needs 0 <= low < high <= 100") }
            return .percentile(low: a, high: b)
        }
        guard a > 0 else { throw VoxSAMError(.invalidArgument, "window width must be > 0 in `\(text)`") }
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

    public var description: String {
        switch self {
        case .widthLevel(let w, let l): "W\(fmt(w)) L\(fmt(l))"
        case .percentile(let lo, let hi): "percentile \(fmt(lo))–\(fmt(hi)) % of voxels > 0"
        case .dicom(let f): "DICOM WindowCenter/Width (else \(f))"
        case .none: "none (values used as they are)"
        }
    }

    private func fmt(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
}

/// Converts a volume to 8-bit exactly as the reference conversion does:
/// clip to [lo, hi], then `(v - min) / (max - min) * 255` over the whole clipped volume, truncated
/// to uint8. For percentile windows, voxels that were 0 stay 0.
public enum Windowing {
    /// The clip range [lo, hi] a window selects on this volume.
    public static func range(_ window: Window, volume: Volume) -> (lo: Double, hi: Double)? {
        switch window {
        case .widthLevel(let w, let l): return (l - w / 2, l + w / 2)
        case .percentile(let plo, let phi): return percentileRange(volume.voxels, low: plo, high: phi)
        case .dicom(let fallback):
            if let c = volume.metadata.windowCenter, let w = volume.metadata.windowWidth, w > 0 { return (c - w / 2, c + w / 2) }
            return range(fallback, volume: volume)
        case .none: return nil
        }
    }

    /// NumPy-style linear-interpolated percentiles of the voxels > 0.
    static func percentileRange(_ v: VoxelBuffer, low: Double, high: Double) -> (Double, Double)? {
        var values = [Double]()
        values.reserveCapacity(v.count / 2)
        for n in 0..<v.count { let x = v[n]; if x > 0 { values.append(x) } }
        guard !values.isEmpty else { return nil }
        values.sort()
        func q(_ p: Double) -> Double {
            let pos = p / 100 * Double(values.count - 1)
            let i = Int(pos.rounded(.down)), f = pos - Double(i)
            return i + 1 < values.count ? values[i] + (values[i + 1] - values[i]) * f : values[i]
        }
        return (q(low), q(high))
    }

    /// The whole volume as uint8 (same geometry), per the reference procedure.
    public static func apply(_ window: Window, to volume: Volume) -> Volume {
        var md = volume.metadata
        md.warnings = []
        guard let (lo, hi) = range(window, volume: volume) else {
            // `.none` or an empty percentile set: clamp/copy to 0…255.
            if case .uint8(let a) = volume.voxels { return Volume(geometry: volume.geometry, voxels: .uint8(a), metadata: md) }
            let n = volume.voxels.count
            let out = [UInt8](unsafeUninitializedCapacity: n) { o, c in
                for k in 0..<n { o[k] = UInt8(max(0, min(255, volume.voxels[k]))) }
                c = n
            }
            return Volume(geometry: volume.geometry, voxels: .uint8(out), metadata: md)
        }
        let keepZero: Bool
        if case .percentile = window { keepZero = true } else { keepZero = false }
        let n = volume.voxels.count
        // Clip, then min-max over the clipped volume.
        var cmin = Double.infinity, cmax = -Double.infinity
        for k in 0..<n {
            let c = min(max(volume.voxels[k], lo), hi)
            if c < cmin { cmin = c }
            if c > cmax { cmax = c }
        }
        let denom = cmax - cmin
        let out = [UInt8](unsafeUninitializedCapacity: n) { o, c in
            for k in 0..<n {
                let v = volume.voxels[k]
                if keepZero && v == 0 { o[k] = 0; continue }
                let clipped = min(max(v, lo), hi)
                // Same operation order as the reference (NumPy, float64), then truncation.
                let scaled = denom > 0 ? (clipped - cmin) / denom * 255.0 : 0
                o[k] = UInt8(max(0, min(255, scaled.rounded(.towardZero))))
            }
            c = n
        }
        return Volume(geometry: volume.geometry, voxels: .uint8(out), metadata: md)
    }
}
