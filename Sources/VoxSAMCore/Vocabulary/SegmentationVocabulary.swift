/// Words every stage shares (CLI, protocols, batch settings, the job, reports): one definition each.

/// How boxes travel from slice to slice.
public enum PropagationMode: String, Sendable, Codable, CaseIterable {
    /// Exactly the reference procedure (../shared/reference/README.md §2).
    case reference
    /// Reference tracking, but a direction stops once its mask has vanished (no fallback to the key
    /// box, which segments whatever lies in the key box on slices past the object's end).
    case adaptive

    /// Parses `reference` / `adaptive`; the error lists both.
    public static func parse(_ text: String) throws -> PropagationMode {
        guard let m = PropagationMode(rawValue: text.lowercased().trimmingCharacters(in: .whitespaces)) else {
            throw VoxSAMError(.invalidArgument, "`\(text)` is not a propagation mode: use \(allCases.map(\.rawValue).joined(separator: " or "))")
        }
        return m
    }
}

/// Which index axis slices are taken along, and how a slice's pixels map to voxels.
/// Axis k (default): slice rows = j, columns = i — the volume's stored array order.
/// Axis j: rows = k, columns = i. Axis i: rows = k, columns = j. Encoded as `i`, `j` or `k`.
public struct SliceAxis: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// 0 = i, 1 = j, 2 = k.
    public let axis: Int
    public let rowAxis: Int
    public let columnAxis: Int

    public static let k = SliceAxis(2)

    public init(_ axis: Int) {
        precondition((0...2).contains(axis))
        self.axis = axis
        switch axis {
        case 2: rowAxis = 1; columnAxis = 0
        case 1: rowAxis = 2; columnAxis = 0
        default: rowAxis = 2; columnAxis = 1
        }
    }

    /// Parses `i`, `j`, `k` (also `x`, `y`, `z`, `0`, `1`, `2`); the error says what is accepted.
    public static func parse(_ s: String) throws -> SliceAxis {
        switch s.lowercased().trimmingCharacters(in: .whitespaces) {
        case "i", "x", "0": return SliceAxis(0)
        case "j", "y", "1": return SliceAxis(1)
        case "k", "z", "2": return SliceAxis(2)
        default: throw VoxSAMError(.invalidArgument, "`\(s)` is not a slicing axis: use i, j or k")
        }
    }

    public var name: String { ["i", "j", "k"][axis] }
    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        self = try SliceAxis.parse(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }

    public func count(_ size: SIMD3<Int>) -> Int { size[axis] }
    public func height(_ size: SIMD3<Int>) -> Int { size[rowAxis] }
    public func width(_ size: SIMD3<Int>) -> Int { size[columnAxis] }

    /// Linear voxel index of slice `s`, row `r`, column `c`.
    @inline(__always)
    public func voxelIndex(_ s: Int, _ r: Int, _ c: Int, size: SIMD3<Int>) -> Int {
        var idx = SIMD3<Int>(0, 0, 0)
        idx[axis] = s; idx[rowAxis] = r; idx[columnAxis] = c
        return (idx.z * size.y + idx.y) * size.x + idx.x
    }

    /// Slice `s` of a uint8 volume as H × W pixels.
    public func slice(_ v: [UInt8], _ s: Int, size: SIMD3<Int>) -> [UInt8] {
        let h = height(size), w = width(size)
        if axis == 2 { return Array(v[(s * h * w)..<((s + 1) * h * w)]) }
        var out = [UInt8](repeating: 0, count: h * w)
        for r in 0..<h { for c in 0..<w { out[r * w + c] = v[voxelIndex(s, r, c, size: size)] } }
        return out
    }

    /// In-plane pixel area in mm².
    public func pixelArea(_ g: Geometry) -> Double { g.spacing[rowAxis] * g.spacing[columnAxis] }
}

/// A label value in a label map: 1…65535 (0 is the background). The one check and its message.
public enum LabelValue {
    public static let range = 1...65535

    /// Throws `\(what): <value> is not a label value (1…65535; 0 is the background)`.
    @discardableResult
    public static func check(_ value: Int, _ what: String, path: String? = nil) throws -> Int {
        guard range.contains(value) else {
            throw VoxSAMError(.invalidArgument, "\(what): \(value) is not a label value (1…65535; 0 is the background)", path: path)
        }
        return value
    }

    /// A voxel of a label map: 0 (the background) or a label value.
    @inline(__always)
    public static func isVoxel(_ d: Double) -> Bool { d == 0 || (d >= 1 && d <= 65535 && d == d.rounded()) }

    /// The error for a label-map voxel that is not 0 or a label value.
    public static func voxelError(_ d: Double, path: String?) -> VoxSAMError {
        let why = d == d.rounded() ? "is not a label" : "is non-integer, not a label"
        return VoxSAMError(.unsupportedData, "voxel value \(d) \(why) (labels are integers 1…65535; 0 is the background)", path: path)
    }

    /// The same rule as a message (for parsers that attach their own location, e.g. YAML lines).
    public static func problem(_ value: Int) -> String? {
        range.contains(value) ? nil : "\(value) is not a label value (1…65535; 0 is the background)"
    }
}

/// When a propagated slice is flagged for checking (`low_confidence` in the reports, `CHECK` in the
/// QA picture). Chosen on the five reference 3D cases against their ground truth (2026-12-07, 383
/// slices, 66 with Dice < 0.5): the predicted IoU alone below 0.6 flagged 2 of the 66; predicted IoU
/// below 0.8, stability below 0.75 or an area jump above 1.5× to a segmented neighbour flag 43 of
/// them (recall 0.65) among 96 flagged slices (precision 0.45; 12 flagged slices have Dice ≥ 0.8).
/// Bad slices the model is sure of (mostly the first and last slices of an object, where the mask is
/// too small or too large) stay hard to see from the model's outputs alone.
public enum ConfidenceFlags {
    /// Predicted IoU below this (`--low-confidence`, the protocol's `low_confidence`).
    public static let defaultLowIoU: Float = 0.8
    /// SAM's stability score (|logits > +1| / |logits > −1|) below this.
    public static let minimumStability: Float = 0.75
    /// Mask area more than this factor above or below a neighbouring segmented slice's.
    public static let areaJump: Double = 1.5
    /// Share of a mask's pixels with intensities outside the object's start-slice range above this.
    public static let intensityOutliers: Float = 0.2
}
