import Foundation

/// A label map put on the grid of the image it belongs to — the one rule for every command that takes
/// a label map (exports, `--from-mask`, batch `from_mask`): as is when it is on
/// the grid, reindexed exactly when it samples the same voxel centres in another axis order or
/// direction (e.g. a NIfTI converted from the DICOM series), else an error that shows both grids.
public enum LabelMapAlignment {
    /// `reference` names the image in the message ("series", "image").
    public static func align(_ labelMap: Volume, onto geometry: Geometry, reference: String, labelMapPath: String) throws -> Volume {
        if let mapping = geometry.axisMapping(from: labelMap.geometry, tolerance: 0.01) {
            return labelMap.reindexed(onto: geometry, mapping: mapping)
        }
        throw VoxSAMError(.geometry, "the label map is not on the grid of the reference \(reference): label map \(describe(labelMap.geometry)), reference \(describe(geometry)); VoxSAM needs the label map on the reference's voxels (axis order and flips are fine) — resample it onto the reference \(reference) first", path: labelMapPath)
    }

    private static func describe(_ g: Geometry) -> String {
        func mm(_ v: SIMD3<Double>) -> String {
            "(" + [v.x, v.y, v.z].map { String(format: "%.3f", $0) }.joined(separator: ", ") + ")"
        }
        return "\(g.size.x)×\(g.size.y)×\(g.size.z) \(g.orientationCode) spacing \(mm(g.spacing)) origin \(mm(g.origin)) mm"
    }
}
