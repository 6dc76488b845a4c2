/// The one geometry definition of VoxSAM.
///
///     point = origin + direction · diag(spacing) · index
///
/// `index` = (i, j, k), 0-based, i fastest in memory (i = column, j = row, k = slice).
/// `point` is in LPS patient coordinates (mm): +x = patient Left, +y = Posterior, +z = Superior,
/// as DICOM and ITK use. RAS appears only at the NIfTI boundary (`VoxSAMIO/NIfTI`).
public struct Geometry: Equatable, Hashable, Sendable, Codable {
    /// Voxel counts along i, j, k.
    public var size: SIMD3<Int>
    /// Voxel size along i, j, k in mm (all > 0).
    public var spacing: SIMD3<Double>
    /// World (LPS, mm) position of the centre of voxel (0, 0, 0).
    public var origin: SIMD3<Double>
    /// Columns are the unit directions of the i, j, k axes in LPS.
    public var direction: Matrix3

    public init(size: SIMD3<Int>, spacing: SIMD3<Double> = SIMD3(1, 1, 1), origin: SIMD3<Double> = .zero,
                direction: Matrix3 = .identity) {
        self.size = size
        self.spacing = spacing
        self.origin = origin
        self.direction = direction
    }

    public var voxelCount: Int { size.x * size.y * size.z }

    /// The 3×3 matrix `direction · diag(spacing)` (columns = step vectors of i, j, k in mm).
    public var stepMatrix: Matrix3 {
        Matrix3(columns: direction.columns.0 * spacing.x, direction.columns.1 * spacing.y,
                direction.columns.2 * spacing.z)
    }

    /// Continuous index → LPS world point.
    public func worldPoint(index: SIMD3<Double>) -> SIMD3<Double> {
        origin + stepMatrix * index
    }

    /// LPS world point → continuous index (nil when the step matrix is singular).
    public func continuousIndex(world p: SIMD3<Double>) -> SIMD3<Double>? {
        guard let inv = stepMatrix.inverse else { return nil }
        return inv * (p - origin)
    }

    /// The 4×4 index→LPS affine, row-major.
    public var affineLPS: [[Double]] {
        let m = stepMatrix
        return (0..<3).map { r in [m[r, 0], m[r, 1], m[r, 2], origin[r]] } + [[0, 0, 0, 1]]
    }

    /// The 4×4 index→RAS affine, row-major (what NIfTI stores and nibabel reports).
    public var affineRAS: [[Double]] {
        var a = affineLPS
        for c in 0..<4 { a[0][c] = -a[0][c]; a[1][c] = -a[1][c] }
        return a
    }

    /// Builds a geometry from a 4×4 (or 3×4) index→LPS affine.
    /// Spacing = column norms; direction = normalised columns (shear is kept in the direction).
    public init(size: SIMD3<Int>, affineLPS a: [[Double]]) {
        var cols: [SIMD3<Double>] = []
        var sp = SIMD3<Double>(1, 1, 1)
        for c in 0..<3 {
            let v = SIMD3(a[0][c], a[1][c], a[2][c])
            let n = (v * v).sum().squareRoot()
            sp[c] = n > 0 ? n : 1
            cols.append(n > 0 ? v / n : SIMD3(c == 0 ? 1 : 0, c == 1 ? 1 : 0, c == 2 ? 1 : 0))
        }
        self.init(size: size, spacing: sp, origin: SIMD3(a[0][3], a[1][3], a[2][3]),
                  direction: Matrix3(columns: cols[0], cols[1], cols[2]))
    }

    /// True when both grids have the same size and their affines agree within `tolerance` mm
    /// at every corner of the grid (so tiny direction differences on large grids are caught).
    public func isSameGrid(as other: Geometry, tolerance: Double = 1e-3) -> Bool {
        guard size == other.size else { return false }
        for corner in 0..<8 {
            let idx = SIMD3<Double>(Double((corner & 1) * max(size.x - 1, 1)),
                                    Double(((corner >> 1) & 1) * max(size.y - 1, 1)),
                                    Double(((corner >> 2) & 1) * max(size.z - 1, 1)))
            let d = worldPoint(index: idx) - other.worldPoint(index: idx)
            if (d * d).sum().squareRoot() > tolerance { return false }
        }
        return true
    }

    /// Largest absolute difference between the two 3×4 affines (mm).
    public func maxAffineDifference(to other: Geometry) -> Double {
        let a = affineLPS, b = other.affineLPS
        var m = 0.0
        for r in 0..<3 { for c in 0..<4 { m = max(m, abs(a[r][c] - b[r][c])) } }
        return m
    }

    /// Whether the direction columns are orthonormal within `tolerance` (false for sheared grids).
    public func isOrthonormal(tolerance: Double = 1e-4) -> Bool {
        let d = direction
        let t = d.transposed * d
        return t.isApproximatelyEqual(to: .identity, tolerance: tolerance)
    }

    /// Three-letter orientation code in LPS terms of where each axis points, e.g. "LPS" or "RAS"
    /// (ITK/DICOM style: the letter names the direction of increasing index).
    public var orientationCode: String {
        let letters: [(Character, Character)] = [("L", "R"), ("P", "A"), ("S", "I")]
        return String((0..<3).map { c -> Character in
            let v = direction[column: c]
            let a = [abs(v.x), abs(v.y), abs(v.z)]
            let r = a.firstIndex(of: a.max()!)!
            return v[r] >= 0 ? letters[r].0 : letters[r].1
        })
    }

    /// Geometry of a single slice k (size.z = 1), origin moved to that slice.
    public func slice(k: Int) -> Geometry {
        var g = self
        g.origin = worldPoint(index: SIMD3(0, 0, Double(k)))
        g.size.z = 1
        return g
    }
}
