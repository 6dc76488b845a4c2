/// How the voxels of one grid map onto another grid that samples exactly the same points in a
/// different axis order or direction (a NIfTI written by dcm2niix or nnU-Net from a DICOM series is
/// typically the series flipped in j and/or k). Reindexing along such a mapping is exact: no
/// interpolation, every voxel keeps its value and its place in the patient.
public struct GridAxisMapping: Sendable, Equatable {
    /// For each target axis a: the source axis that runs along it.
    public var sourceAxis: SIMD3<Int>
    /// For each target axis a: whether the source axis runs the opposite way.
    public var flipped: SIMD3<Int>

    /// True when the mapping is the identity (the grids are the same).
    public var isIdentity: Bool { sourceAxis == SIMD3(0, 1, 2) && flipped == SIMD3(0, 0, 0) }
}

extension Geometry {
    /// The mapping that takes voxels of `other` onto this grid, when both grids have the same voxel
    /// centres (within `tolerance` mm at every corner) up to axis order and direction; nil otherwise.
    public func axisMapping(from other: Geometry, tolerance: Double = 1e-3) -> GridAxisMapping? {
        var sourceAxis = SIMD3<Int>(-1, -1, -1), flipped = SIMD3<Int>(0, 0, 0)
        var used = Set<Int>()
        for a in 0..<3 {
            let step = direction[column: a] * spacing[a]
            for b in 0..<3 where !used.contains(b) && other.size[b] == size[a] {
                let otherStep = other.direction[column: b] * other.spacing[b]
                let span = Double(max(size[a] - 1, 1))
                if length(step - otherStep) * span <= tolerance {
                    sourceAxis[a] = b; flipped[a] = 0; used.insert(b); break
                }
                if length(step + otherStep) * span <= tolerance {
                    sourceAxis[a] = b; flipped[a] = 1; used.insert(b); break
                }
            }
            if sourceAxis[a] < 0 { return nil }
        }
        let mapping = GridAxisMapping(sourceAxis: sourceAxis, flipped: flipped)
        // Same voxel centres: every corner of this grid is the mapped corner of the other.
        for corner in 0..<8 {
            let idx = SIMD3<Int>(corner & 1 == 0 ? 0 : size.x - 1, (corner >> 1) & 1 == 0 ? 0 : size.y - 1,
                                 (corner >> 2) & 1 == 0 ? 0 : size.z - 1)
            let src = mapping.sourceIndex(of: idx, sourceSize: other.size)
            let d = worldPoint(index: SIMD3<Double>(idx)) - other.worldPoint(index: SIMD3<Double>(src))
            if length(d) > tolerance { return nil }
        }
        return mapping
    }

    private func length(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }
}

extension GridAxisMapping {
    /// Index in the source grid of target index `idx`.
    @inline(__always)
    public func sourceIndex(of idx: SIMD3<Int>, sourceSize: SIMD3<Int>) -> SIMD3<Int> {
        var s = SIMD3<Int>(0, 0, 0)
        for a in 0..<3 {
            let b = sourceAxis[a]
            s[b] = flipped[a] == 1 ? sourceSize[b] - 1 - idx[a] : idx[a]
        }
        return s
    }
}

extension Volume {
    /// This volume's voxels on `target` (same voxel centres, other axis order/direction), exactly.
    /// Metadata is kept; the geometry becomes `target`.
    public func reindexed(onto target: Geometry, mapping: GridAxisMapping) -> Volume {
        if mapping.isIdentity { var v = self; v.geometry = target; return v }
        let src = size, dst = target.size
        // Linear stride in the source for a unit step along each target axis (negative when flipped).
        var stride = SIMD3<Int>(0, 0, 0), start = 0
        let srcStride = SIMD3<Int>(1, src.x, src.x * src.y)
        for a in 0..<3 {
            let b = mapping.sourceAxis[a]
            stride[a] = mapping.flipped[a] == 1 ? -srcStride[b] : srcStride[b]
            if mapping.flipped[a] == 1 { start += (src[b] - 1) * srcStride[b] }
        }
        func remap<T>(_ a: [T]) -> [T] {
            [T](unsafeUninitializedCapacity: a.count) { out, initialized in
                a.withUnsafeBufferPointer { inp in
                    var n = 0
                    for k in 0..<dst.z {
                        for j in 0..<dst.y {
                            var s = start + k * stride.z + j * stride.y
                            for _ in 0..<dst.x {
                                out[n] = inp[s]; n += 1; s += stride.x
                            }
                        }
                    }
                }
                initialized = a.count
            }
        }
        let voxels: VoxelBuffer
        switch self.voxels {
        case .uint8(let a): voxels = .uint8(remap(a))
        case .int16(let a): voxels = .int16(remap(a))
        case .uint16(let a): voxels = .uint16(remap(a))
        case .int32(let a): voxels = .int32(remap(a))
        case .float32(let a): voxels = .float32(remap(a))
        }
        return Volume(geometry: target, voxels: voxels, metadata: metadata)
    }
}
