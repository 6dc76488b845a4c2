import VoxSAMCore

extension SliceAxis {
    /// In-plane box `[x0, y0, x1, y1]` (columns, rows) and slice range of a voxel box.
    public func planeBox(_ b: VoxelBox) -> (box: SIMD4<Int>, slices: ClosedRange<Int>) {
        let c = b.range(axis: columnAxis), r = b.range(axis: rowAxis)
        return (SIMD4(c.lowerBound, r.lowerBound, c.upperBound, r.upperBound), b.range(axis: axis))
    }
}
