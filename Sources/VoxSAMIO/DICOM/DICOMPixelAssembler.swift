import VoxSAMCore

/// Decodes the planned frames into one voxel buffer and applies the modality rescale.
///
/// Stored values are decoded into int16 (PixelRepresentation 1), uint16 (0) or int32 (32-bit or
/// mixed) — files in parallel, each frame straight into its k-slice. RescaleSlope/Intercept
/// (per frame for enhanced images) then give: the stored buffer unchanged for the identity
/// (uint8 for 8-bit unsigned data), int16 when slope and intercept are integers and every
/// rescaled value fits int16 exactly (CT in HU), float32 otherwise.
enum DICOMPixelAssembler {
    static func assemble(_ plan: DICOMVolumePlan, headers: [DICOMFileHeader], options: DICOMReadOptions) throws -> VoxelBuffer {
        let files = Array(Set(plan.slices.map(\.file))).sorted()
        let images = files.map { headers[$0].image }
        let storedType: DICOMSampleType
        if images.contains(where: { $0.bitsAllocated > 16 }) {
            storedType = .int32
        } else if images.allSatisfy({ $0.pixelRepresentation == 1 }) {
            storedType = .int16
        } else if images.allSatisfy({ $0.pixelRepresentation == 0 }) {
            storedType = .uint16
        } else {
            storedType = .int32
        }

        let transforms: [(slope: Double, intercept: Double)] = plan.slices.map { r in
            let a = headers[r.file].frames[r.frame]
            guard options.applyRescale else { return (1, 0) }
            // A zero or non-finite slope is invalid (the planner warns); the stored values are kept.
            guard let slope = a.rescaleSlope, slope != 0, slope.isFinite else { return (1, a.rescaleIntercept ?? 0) }
            return (slope, a.rescaleIntercept ?? 0)
        }
        let sliceSize = plan.geometry.size.x * plan.geometry.size.y
        if transforms.allSatisfy({ $0.slope == 1 && $0.intercept == 0 }) {
            switch storedType {
            case .int16: return .int16(try decode(plan, headers: headers, files: files, as: Int16.self, type: .int16))
            case .int32: return .int32(try decode(plan, headers: headers, files: files, as: Int32.self, type: .int32))
            case .uint16:
                let a = try decode(plan, headers: headers, files: files, as: UInt16.self, type: .uint16)
                if images.allSatisfy({ $0.bitsAllocated == 8 && $0.pixelRepresentation == 0 }) {
                    return .uint8(a.map { UInt8(truncatingIfNeeded: $0) })
                }
                return .uint16(a)
            }
        }
        switch storedType {
        case .int16, .uint16:
            // 16-bit samples are decoded as their bit patterns into the array that becomes the result
            // when the rescaled values fit int16 (CT in HU): one volume-sized buffer, not two.
            var bits = try decode(plan, headers: headers, files: files, as: Int16.self, type: storedType)
            let unsigned = storedType == .uint16
            if rescaleInPlace(&bits, transforms, sliceSize: sliceSize, unsigned: unsigned) { return .int16(bits) }
            return unsigned
                ? rescaleToFloat(bits, transforms, sliceSize: sliceSize) { Double(UInt16(bitPattern: $0)) }
                : rescaleToFloat(bits, transforms, sliceSize: sliceSize) { Double($0) }
        case .int32:
            let a = try decode(plan, headers: headers, files: files, as: Int32.self, type: .int32)
            return rescale(a, transforms, sliceSize: sliceSize)
        }
    }

    /// Decodes every planned frame into a new array of `T` (k-slice after k-slice).
    private static func decode<T: FixedWidthInteger>(_ plan: DICOMVolumePlan, headers: [DICOMFileHeader], files: [Int],
                                                     as: T.Type, type: DICOMSampleType) throws -> [T] {
        let sliceSize = plan.geometry.size.x * plan.geometry.size.y
        var slicesOfFile: [Int: [(k: Int, frame: Int)]] = [:]
        for (k, r) in plan.slices.enumerated() { slicesOfFile[r.file, default: []].append((k, r.frame)) }
        var out = [T](repeating: 0, count: sliceSize * plan.slices.count)
        let failures: [VoxSAMError?] = out.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            return DICOMParallel.map(files.count) { i -> VoxSAMError? in
                let fileIndex = files[i]
                do {
                    let file = try DCMTKFile(path: headers[fileIndex].path)
                    for s in slicesOfFile[fileIndex]!.sorted(by: { $0.frame < $1.frame }) {
                        try file.decodeFrame(s.frame, into: base + s.k * sliceSize * MemoryLayout<T>.stride,
                                             sampleCount: sliceSize, type: type)
                    }
                    return nil
                } catch let e as VoxSAMError {
                    return e
                } catch {
                    return VoxSAMError(.internal, String(describing: error), path: headers[fileIndex].path)
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        return out
    }

    /// Rescales 16-bit samples (bit patterns, read as unsigned when `unsigned`) in place when every
    /// slope and intercept is an integer and every result fits int16; returns false (and leaves the
    /// samples untouched) otherwise.
    private static func rescaleInPlace(_ a: inout [Int16], _ t: [(slope: Double, intercept: Double)], sliceSize: Int,
                                       unsigned: Bool) -> Bool {
        let limit = 1_048_576.0
        for x in t {
            guard x.slope == x.slope.rounded(), x.intercept == x.intercept.rounded(), abs(x.slope) <= 32767,
                  abs(x.intercept) <= limit else { return false }
        }
        return a.withUnsafeMutableBufferPointer { (p: inout UnsafeMutableBufferPointer<Int16>) -> Bool in
            if unsigned {
                return p.withMemoryRebound(to: UInt16.self) { (u: UnsafeMutableBufferPointer<UInt16>) -> Bool in
                    rescaleInPlace(u, t, sliceSize: sliceSize)
                }
            }
            return rescaleInPlace(p, t, sliceSize: sliceSize)
        }
    }

    /// `p` holds samples of type T (same size as Int16); written back as Int16 bit patterns.
    @inline(__always)
    private static func rescaleInPlace<T: FixedWidthInteger>(_ p: UnsafeMutableBufferPointer<T>,
                                                             _ t: [(slope: Double, intercept: Double)], sliceSize: Int) -> Bool {
        var lo = Double.infinity, hi = -Double.infinity
        for k in t.indices {
            let slice = UnsafeMutableBufferPointer(rebasing: p[(k * sliceSize)..<((k + 1) * sliceSize)])
            guard var mn = slice.first else { continue }
            var mx = mn
            for v in slice {
                mn = min(mn, v)
                mx = max(mx, v)
            }
            let v1 = Double(mn) * t[k].slope + t[k].intercept, v2 = Double(mx) * t[k].slope + t[k].intercept
            lo = min(lo, v1, v2)
            hi = max(hi, v1, v2)
        }
        guard lo >= Double(Int16.min) && hi <= Double(Int16.max) else { return false }
        for k in t.indices {
            let slope = Int32(t[k].slope), intercept = Int32(t[k].intercept)
            if slope == 1 && intercept == 0 && T.isSigned { continue }
            for n in (k * sliceSize)..<((k + 1) * sliceSize) {
                // In range (checked above), so the Int16 result is exact.
                p[n] = T(truncatingIfNeeded: Int16(truncatingIfNeeded: Int32(p[n]) &* slope &+ intercept))
            }
        }
        return true
    }

    private static func rescaleToFloat(_ a: [Int16], _ t: [(slope: Double, intercept: Double)], sliceSize: Int,
                                       _ value: (Int16) -> Double) -> VoxelBuffer {
        var out = [Float](repeating: 0, count: a.count)
        for k in t.indices {
            let slope = t[k].slope, intercept = t[k].intercept
            for n in (k * sliceSize)..<((k + 1) * sliceSize) { out[n] = Float(value(a[n]) * slope + intercept) }
        }
        return .float32(out)
    }

    /// Applies per-slice slope/intercept: int16 when exact and in range, else float32.
    private static func rescale<T: BinaryInteger>(_ a: [T], _ t: [(slope: Double, intercept: Double)], sliceSize: Int) -> VoxelBuffer {
        let integral = t.allSatisfy { $0.slope == $0.slope.rounded() && $0.intercept == $0.intercept.rounded() }
        if integral {
            var lo = Double.infinity, hi = -Double.infinity
            for k in t.indices {
                let slice = a[(k * sliceSize)..<((k + 1) * sliceSize)]
                guard let mn = slice.min(), let mx = slice.max() else { continue }
                let v1 = Double(mn) * t[k].slope + t[k].intercept, v2 = Double(mx) * t[k].slope + t[k].intercept
                lo = min(lo, v1, v2)
                hi = max(hi, v1, v2)
            }
            if lo >= Double(Int16.min) && hi <= Double(Int16.max) {
                var out = [Int16](repeating: 0, count: a.count)
                for k in t.indices {
                    let slope = Int(t[k].slope), intercept = Int(t[k].intercept)
                    for n in (k * sliceSize)..<((k + 1) * sliceSize) { out[n] = Int16(Int(a[n]) * slope + intercept) }
                }
                return .int16(out)
            }
        }
        var out = [Float](repeating: 0, count: a.count)
        for k in t.indices {
            let slope = t[k].slope, intercept = t[k].intercept
            for n in (k * sliceSize)..<((k + 1) * sliceSize) { out[n] = Float(Double(a[n]) * slope + intercept) }
        }
        return .float32(out)
    }
}
