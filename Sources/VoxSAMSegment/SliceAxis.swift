import VoxSAMCore

/// Which index axis slices are taken along, and how a slice's pixels map to voxels.
/// Axis k (default): slice rows = j, columns = i — the volume's stored array order.
/// Axis j: rows = k, columns = i. Axis i: rows = k, columns = j.
public struct SliceAxis: Sendable, Equatable {
    /// 0 = i, 1 = j, 2 = k.
    public let axis: Int
    public let rowAxis: Int
    public let columnAxis: Int

    public init(_ axis: Int) {
        precondition((0...2).contains(axis))
        self.axis = axis
        switch axis {
        case 2: rowAxis = 1; columnAxis = 0
        case 1: rowAxis = 2; columnAxis = 0
        default: rowAxis = 2; columnAxis = 1
        }
    }

    public static func parse(_ s: String) -> SliceAxis? {
        switch s.lowercased() {
        case "i", "x", "0": SliceAxis(0)
        case "j", "y", "1": SliceAxis(1)
        case "k", "z", "2": SliceAxis(2)
        default: nil
        }
    }

    public var name: String { ["i", "j", "k"][axis] }

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

    /// In-plane box `[x0, y0, x1, y1]` (columns, rows) and slice range of a voxel box.
    public func planeBox(_ b: VoxelBox) -> (box: SIMD4<Int>, slices: ClosedRange<Int>) {
        let c = b.range(axis: columnAxis), r = b.range(axis: rowAxis)
        return (SIMD4(c.lowerBound, r.lowerBound, c.upperBound, r.upperBound), b.range(axis: axis))
    }

    /// In-plane pixel area in mm².
    public func pixelArea(_ g: Geometry) -> Double { g.spacing[rowAxis] * g.spacing[columnAxis] }
}
