import Foundation
import XCTest
import VoxSAMCore
import VoxSAMTestSupport
@testable import VoxSAMIO

/// Test data locations and reference comparisons for the DICOM reader tests.
enum DICOMTestSupport {
    /// Small DICOM files committed with the repository (pydicom / pydicom-data, MIT).
    static let samples = TestData.sampleData.appendingPathComponent("dicom")

    /// `SampleData/dicom/<name>` (always present in a clone).
    static func sample(_ name: String) -> String { samples.appendingPathComponent(name).path }

    static let pydicomFiles = "B/pydicom/src/pydicom/data/test_files"

    // MARK: reference NIfTI (dcm2niix output)

    /// The parts of an uncompressed NIfTI-1 file a geometry/voxel comparison needs: raw stored
    /// values of the first 3-D volume (scl_slope/inter NOT applied) and the sform (or qform)
    /// converted to LPS.
    struct ReferenceNIfTI {
        var dims: [Int]
        var datatype: Int
        var sclSlope: Double
        var sclInter: Double
        var geometry: Geometry
        var values: [Double]

        init(path: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count >= 352 else { throw VoxSAMError(.corruptFile, "short NIfTI", path: path) }
            func i16(_ o: Int) -> Int { Int(Int16(littleEndian: data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: Int16.self) })) }
            func i32(_ o: Int) -> Int { Int(Int32(littleEndian: data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: Int32.self) })) }
            func f32(_ o: Int) -> Double {
                Double(Float(bitPattern: UInt32(littleEndian: data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) })))
            }
            guard i32(0) == 348 else { throw VoxSAMError(.unsupportedFormat, "not a little-endian NIfTI-1 file", path: path) }
            let rank = i16(40)
            dims = (1...max(rank, 1)).map { i16(40 + 2 * $0) }
            datatype = i16(70)
            let voxOffset = Int(f32(108))
            sclSlope = f32(112)
            sclInter = f32(116)
            let qformCode = i16(252), sformCode = i16(254)
            var ras: [[Double]]
            if sformCode > 0 {
                ras = (0..<3).map { r in (0..<4).map { c in f32(280 + 16 * r + 4 * c) } }
            } else if qformCode > 0 {
                // Quaternion → rotation (NIfTI-1 standard), with qfac from pixdim[0].
                let b = f32(256), c = f32(260), d = f32(264)
                let a = max(0, 1 - (b * b + c * c + d * d)).squareRoot()
                let qfac = f32(76) < 0 ? -1.0 : 1.0
                let dx = f32(80), dy = f32(84), dz = f32(88) * qfac
                let R = [[a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
                         [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
                         [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b]]
                ras = (0..<3).map { r in [R[r][0] * dx, R[r][1] * dy, R[r][2] * dz, f32(268 + 4 * r)] }
            } else {
                throw VoxSAMError(.unsupportedFormat, "reference has neither sform nor qform", path: path)
            }
            var lps = ras
            for c in 0..<4 { lps[0][c] = -lps[0][c]; lps[1][c] = -lps[1][c] }
            let size = SIMD3(dims[0], dims.count > 1 ? dims[1] : 1, dims.count > 2 ? dims[2] : 1)
            geometry = Geometry(size: size, affineLPS: lps + [[0, 0, 0, 1]])
            let count = size.x * size.y * size.z
            let bytes: Int
            switch datatype {
            case 2: bytes = 1
            case 4, 512: bytes = 2
            case 8, 16: bytes = 4
            default: throw VoxSAMError(.unsupportedData, "reference datatype \(datatype) not handled by the test helper", path: path)
            }
            guard data.count >= voxOffset + count * bytes else { throw VoxSAMError(.corruptFile, "short NIfTI data", path: path) }
            let dt = datatype
            values = data.withUnsafeBytes { raw in
                (0..<count).map { n -> Double in
                    let o = voxOffset + n * bytes
                    switch dt {
                    case 2: return Double(raw.load(fromByteOffset: o, as: UInt8.self))
                    case 4: return Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                    case 512: return Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                    case 8: return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                    default: return Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
                    }
                }
            }
        }
    }

    // MARK: orientation-independent comparison

    /// How the reference's index axes map onto ours: for each reference axis r, our axis and
    /// whether it runs the same way.
    struct AxisMap {
        var ourAxis: [Int]
        var sameDirection: [Bool]
    }

    /// Matches axes by their direction cosines (|cos| > 0.99). nil when they do not correspond.
    static func axisMap(ours: Geometry, reference: Geometry) -> AxisMap? {
        var ourAxis: [Int] = [], same: [Bool] = []
        for r in 0..<3 {
            let v = reference.direction[column: r]
            let dots = (0..<3).map { (ours.direction[column: $0] * v).sum() }
            guard let o = dots.indices.first(where: { abs(dots[$0]) > 0.99 }), !ourAxis.contains(o) else { return nil }
            guard ours.size[o] == reference.size[r] else { return nil }
            ourAxis.append(o)
            same.append(dots[o] > 0)
        }
        return AxisMap(ourAxis: ourAxis, sameDirection: same)
    }

    /// Our index of the voxel at reference index `ref`.
    static func ourIndex(_ ref: SIMD3<Int>, map: AxisMap, ours: Geometry) -> SIMD3<Int> {
        var o = SIMD3<Int>(0, 0, 0)
        for r in 0..<3 {
            let a = map.ourAxis[r]
            o[a] = map.sameDirection[r] ? ref[r] : ours.size[a] - 1 - ref[r]
        }
        return o
    }

    /// Largest difference (mm) between our 3×4 affine and the reference's re-expressed on our axes.
    static func affineDifference(ours: Geometry, reference: Geometry, map: AxisMap) -> Double {
        var columns = [SIMD3<Double>](repeating: .zero, count: 3)
        var refIndexOfOurOrigin = SIMD3<Double>(0, 0, 0)
        let step = reference.stepMatrix
        for r in 0..<3 {
            let a = map.ourAxis[r]
            columns[a] = map.sameDirection[r] ? step[column: r] : -step[column: r]
            refIndexOfOurOrigin[r] = map.sameDirection[r] ? 0 : Double(reference.size[r] - 1)
        }
        let origin = reference.worldPoint(index: refIndexOfOurOrigin)
        let mine = ours.affineLPS
        var worst = 0.0
        for row in 0..<3 {
            for c in 0..<3 { worst = max(worst, abs(mine[row][c] - columns[c][row])) }
            worst = max(worst, abs(mine[row][3] - origin[row]))
        }
        return worst
    }

    /// Counts voxels whose values differ (ours vs reference values at the mapped index), after
    /// `transform` is applied to the reference value.
    static func mismatchCount(ours: Volume, reference: ReferenceNIfTI, map: AxisMap,
                              transform: (Double) -> Double = { $0 }, tolerance: Double = 0) -> (count: Int, first: String?) {
        let rs = reference.geometry.size
        var count = 0
        var first: String?
        for c in 0..<rs.z { for b in 0..<rs.y { for a in 0..<rs.x {
            let refValue = transform(reference.values[(c * rs.y + b) * rs.x + a])
            let o = ourIndex(SIMD3(a, b, c), map: map, ours: ours.geometry)
            let v = ours.value(o.x, o.y, o.z)
            if abs(v - refValue) > tolerance {
                count += 1
                if first == nil { first = "ref (\(a),\(b),\(c)) = \(refValue), ours (\(o.x),\(o.y),\(o.z)) = \(v)" }
            }
        } } }
        return (count, first)
    }

    /// Reads a DICOM path and checks geometry and voxels against a dcm2niix reference;
    /// returns the affine difference for the report.
    @discardableResult
    static func assertMatchesReference(_ volume: Volume, referencePath: String, transform: (Double) -> Double = { $0 },
                                       tolerance: Double = 0, affineTolerance: Double = 1e-3,
                                       file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let reference = try ReferenceNIfTI(path: referencePath)
        guard let map = axisMap(ours: volume.geometry, reference: reference.geometry) else {
            XCTFail("axes do not correspond: ours \(volume.geometry.size) \(volume.geometry.direction), reference "
                + "\(reference.geometry.size) \(reference.geometry.direction)", file: file, line: line)
            return .infinity
        }
        let difference = affineDifference(ours: volume.geometry, reference: reference.geometry, map: map)
        XCTAssertLessThan(difference, affineTolerance, "affine differs from \(referencePath) by \(difference) mm", file: file, line: line)
        let mismatch = mismatchCount(ours: volume, reference: reference, map: map, transform: transform, tolerance: tolerance)
        XCTAssertEqual(mismatch.count, 0, "voxels differ from \(referencePath): \(mismatch.first ?? "")", file: file, line: line)
        print("DICOM reference check \((referencePath as NSString).lastPathComponent): max affine difference "
            + String(format: "%.2e", difference) + " mm, \(mismatch.count) differing voxels of \(reference.values.count)")
        return difference
    }

    /// Every k-slice's world position (voxel (0, 0, k)) equals the ImagePositionPatient of the
    /// frame it came from, within `tolerance` mm. Returns the largest difference.
    @discardableResult
    static func assertSlicePositions(_ volume: Volume, tolerance: Double = 1e-3,
                                     file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        var worst = 0.0
        var opened: [String: DCMTKFile] = [:]
        for (k, reference) in volume.metadata.sliceReferences.enumerated() {
            let dicom = try opened[reference.file] ?? DCMTKFile(path: reference.file)
            opened[reference.file] = dicom
            guard !dicom.image.isMosaic else { continue } // tile positions are computed, not stored
            let position = try XCTUnwrap(try dicom.frame((reference.frame ?? 1) - 1).position, file: file, line: line)
            let d = volume.geometry.worldPoint(index: SIMD3(0, 0, Double(k))) - position
            worst = max(worst, (d * d).sum().squareRoot())
        }
        XCTAssertLessThan(worst, tolerance, "slice positions differ from ImagePositionPatient by \(worst) mm", file: file, line: line)
        return worst
    }

    /// Voxels as Doubles (for equality across types).
    static func values(_ v: Volume) -> [Double] { (0..<v.voxels.count).map { v.voxels[$0] } }
}

