import Foundation
import VoxSAMCore

/// CVPR24-style `.npz` volumes: `imgs` (D, H, W) with optional `spacing` and `boxes` (N, 6);
/// label maps as `segs` or `gts`.
///
/// Axis convention: array index [z][y][x] → voxel (i = x = W, j = y = H, k = z = D).
/// `spacing` is (z, y, x) as the CVPR24 challenge stores it — unless the file also has `direction`
/// and `origin` (MedSAM2-style files written from SimpleITK), where `spacing` is (x, y, z) and
/// `direction` is SimpleITK's row-major 3×3 (columns = axis directions, LPS). Without those the
/// geometry is axis-aligned LPS at the origin.
public enum NPZVolume {
    /// Reads the image array (`imgs` by default, or the first of `segs`/`gts` when asked).
    /// Only the members a volume needs are inflated (`neededMembers` plus `array`).
    public static func read(path: String, array: String? = nil, maxVoxels: Int = ReadLimits.defaultMaxVoxels) throws -> Volume {
        let npz = try NPZArchive.read(path: path, members: neededMembers.union(array.map { [$0] } ?? []), maxVoxels: maxVoxels)
        let name = array ?? (npz["imgs"] != nil ? "imgs" : npz["segs"] != nil ? "segs" : npz["gts"] != nil ? "gts" : "")
        guard let a = npz[name] else {
            throw VoxSAMError(.corruptFile, "the .npz has no `\(array ?? "imgs")` array (found: \(npz.arrays.keys.sorted().joined(separator: ", ")))", path: path)
        }
        return try volume(a, name: name, archive: npz, path: path)
    }

    /// The members a volume is read from: image or label arrays and the geometry.
    public static let neededMembers: Set<String> = ["imgs", "segs", "gts", "spacing", "direction", "origin"]

    public static func volume(_ a: NPYArray, name: String, archive npz: NPZArchive, path: String) throws -> Volume {
        guard a.shape.count == 3 || a.shape.count == 2 else {
            throw VoxSAMError(.unsupportedData, "array `\(name)` has shape \(a.shape); expected (D, H, W)", path: path)
        }
        let shape = a.shape.count == 3 ? a.shape : [1] + a.shape
        let size = SIMD3(shape[2], shape[1], shape[0])
        var geometry = Geometry(size: size)
        var md = VolumeMetadata()
        md.sourcePath = path
        md.sourceFormat = "npz"
        let sitkStyle = npz["direction"] != nil && npz["origin"] != nil
        if let s = npz["spacing"]?.doubles {
            guard s.count == 3, s.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw VoxSAMError(.geometry, "spacing: must hold 3 positive finite numbers, found \(s)", path: path)
            }
            geometry.spacing = sitkStyle ? SIMD3(s[0], s[1], s[2]) : SIMD3(s[2], s[1], s[0])
        } else {
            md.warnings.append("the .npz has no `spacing`; assuming 1 mm voxels")
        }
        if sitkStyle, let d = npz["direction"]?.doubles, let o = npz["origin"]?.doubles, d.count == 9, o.count == 3 {
            guard d.allSatisfy(\.isFinite) else { throw VoxSAMError(.geometry, "direction: contains NaN or infinite values", path: path) }
            guard o.allSatisfy(\.isFinite) else { throw VoxSAMError(.geometry, "origin: contains NaN or infinite values", path: path) }
            geometry.direction = Matrix3(rows: [Array(d[0..<3]), Array(d[3..<6]), Array(d[6..<9])])
            geometry.origin = SIMD3(o[0], o[1], o[2])
            guard abs(geometry.direction.determinant) > 1e-6 else {
                throw VoxSAMError(.geometry, "direction: the matrix is singular", path: path)
            }
        }
        let voxels: VoxelBuffer = try a.data.withUnsafeBytes { raw in
            switch a.dtype {
            case .uint8, .bool: return .uint8(Array(raw.bindMemory(to: UInt8.self)))
            case .int16: return .int16(Array(raw.bindMemory(to: Int16.self)))
            case .uint16: return .uint16(Array(raw.bindMemory(to: UInt16.self)))
            case .int32: return .int32(Array(raw.bindMemory(to: Int32.self)))
            case .float32: return .float32(Array(raw.bindMemory(to: Float.self)))
            case .float64: return .float32(raw.bindMemory(to: Double.self).map { Float($0) })
            case .int8: return .int16(raw.bindMemory(to: Int8.self).map { Int16($0) })
            default:
                throw VoxSAMError(.unsupportedData, "array `\(name)` has dtype \(a.dtype.rawValue); use uint8, int16, uint16, int32 or float", path: path)
            }
        }
        return Volume(geometry: geometry, voxels: voxels, metadata: md)
    }

    /// The `boxes` array as rows of 6 integers `[x0, y0, z0, x1, y1, z1]` (empty when absent).
    public static func boxes(in npz: NPZArchive, path: String) throws -> [[Int]] {
        guard let b = npz["boxes"] else { return [] }
        let v = b.doubles
        guard b.shape.count == 2 && b.shape[1] == 6 || (b.shape.count == 1 && b.shape[0] == 6) else {
            throw VoxSAMError(.corruptFile, "`boxes` has shape \(b.shape); expected (N, 6)", path: path)
        }
        return stride(from: 0, to: v.count, by: 6).map { r in (0..<6).map { Int(v[r + $0]) } }
    }

    /// Writes a label map as a CVPR24 `.npz` with `segs` (D, H, W) and `spacing` (z, y, x) — or, when
    /// the geometry is not axis-aligned at the origin (a MedSAM2-style input, or any NIfTI/DICOM
    /// image), in the MedSAM2 convention that keeps it: `spacing` (x, y, z), `direction` (SimpleITK's
    /// row-major 3×3) and `origin`. Either way `read` gives the same geometry back.
    public static func writeLabelMap(_ volume: Volume, to path: String, arrayName: String = "segs") throws {
        let s = volume.geometry.size
        let dtype: NPYArray.DType
        switch volume.type {
        case .uint8: dtype = .uint8
        case .uint16: dtype = .uint16
        case .int16: dtype = .int16
        case .int32: dtype = .int32
        case .float32: dtype = .float32
        }
        let data = volume.voxels.withUnsafeBytes { Array($0) }
        let g = volume.geometry
        func float64(_ values: [Double]) -> NPYArray {
            var bytes = [UInt8]()
            for v in values { withUnsafeBytes(of: v) { bytes += $0 } }
            return NPYArray(dtype: .float64, shape: [values.count], data: bytes)
        }
        var arrays = [arrayName: NPYArray(dtype: dtype, shape: [s.z, s.y, s.x], data: data)]
        if g.direction == Matrix3.identity && g.origin == .zero {
            arrays["spacing"] = float64([g.spacing.z, g.spacing.y, g.spacing.x])
        } else {
            let d = g.direction
            arrays["spacing"] = float64([g.spacing.x, g.spacing.y, g.spacing.z])
            arrays["direction"] = float64((0..<3).flatMap { r in (0..<3).map { c in d[r, c] } })
            arrays["origin"] = float64([g.origin.x, g.origin.y, g.origin.z])
        }
        try NPZArchive(arrays: arrays).write(to: path)
    }
}
