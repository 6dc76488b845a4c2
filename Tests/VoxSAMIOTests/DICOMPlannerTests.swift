import Foundation
import XCTest
import VoxSAMTestSupport
import VoxSAMCore
@testable import VoxSAMIO

/// Grouping and grid planning on synthetic headers: ordering, gaps, uneven spacing, duplicates,
/// several volumes, gantry tilt, split series. No files needed.
final class DICOMPlannerTests: XCTestCase {
    static let axial = DICOMOrientation(row: SIMD3(1, 0, 0), column: SIMD3(0, 1, 0))
    static let sagittal = DICOMOrientation(row: SIMD3(0, 1, 0), column: SIMD3(0, 0, -1))

    private func header(_ n: Int, _ position: SIMD3<Double>, orientation: DICOMOrientation = axial, series: String = "1.2.3",
                        seriesNumber: Int = 1, temporal: Int? = nil, tilt: Double? = nil, spacing: SIMD2<Double> = SIMD2(0.5, 0.5),
                        rows: Int = 4) -> DICOMFileHeader {
        var image = DICOMImageInfo()
        image.hasPixelData = true
        image.rows = rows
        image.columns = 4
        image.bitsAllocated = 16
        image.bitsStored = 16
        image.pixelRepresentation = 1
        image.photometricInterpretation = "MONOCHROME2"
        var frame = DICOMFrameAttributes()
        frame.position = position
        frame.orientation = orientation
        frame.pixelSpacing = spacing
        frame.temporalPositionIndex = temporal
        return DICOMFileHeader(path: "/data/IM\(n)", image: image, sopClassUID: "1.2.840.10008.5.1.4.1.1.2", sopInstanceUID: "1.2.3.\(n)",
                               seriesInstanceUID: series, studyInstanceUID: "1.2", frameOfReferenceUID: "1.2.9", modality: "CT",
                               seriesDescription: "test", seriesNumber: seriesNumber, instanceNumber: n, imageType: "ORIGINAL",
                               manufacturer: "", gantryDetectorTilt: tilt, attributes: [:], frames: [frame])
    }

    private func plan(_ headers: [DICOMFileHeader], _ options: DICOMReadOptions = DICOMReadOptions()) throws -> DICOMVolumePlan {
        let groups = DICOMSeriesGrouping.group(headers)
        XCTAssertEqual(groups.count, 1)
        return try DICOMVolumePlanner.plan(groups[0], headers: headers, options: options, sourcePath: "/data")
    }

    private func zs(_ values: [Double]) -> [DICOMFileHeader] {
        values.enumerated().map { header($0.offset + 1, SIMD3(-10, -20, $0.element)) }
    }

    func testRegularStackIsSortedAlongTheNormal() throws {
        let headers = zs([8, 2, 6, 0, 4])
        let p = try plan(headers)
        XCTAssertEqual(p.slices.map { headers[$0.file].frames[0].position!.z }, [0, 2, 4, 6, 8])
        XCTAssertEqual(p.geometry.size, SIMD3(4, 4, 5))
        XCTAssertEqual(p.geometry.spacing, SIMD3(0.5, 0.5, 2))
        XCTAssertEqual(p.geometry.origin, SIMD3(-10, -20, 0))
        XCTAssertEqual(p.geometry.direction, .identity)
        XCTAssertTrue(p.warnings.isEmpty, "\(p.warnings)")
    }

    func testSagittalStackRunsAlongCrossProduct() throws {
        // normal = (0,1,0) × (0,0,-1) = (-1,0,0): k runs towards patient right (decreasing x).
        let headers = [10.0, 12, 14].enumerated().map { header($0.offset, SIMD3($0.element, 0, 0), orientation: Self.sagittal) }
        let p = try plan(headers)
        XCTAssertEqual(p.geometry.origin.x, 14)
        XCTAssertEqual(p.geometry.direction[column: 2], SIMD3(-1, 0, 0))
        XCTAssertEqual(p.geometry.spacing.z, 2)
        XCTAssertEqual(p.geometry.orientationCode, "PIR")
    }

    func testMissingSliceIsRefusedWithTagsAndFlag() throws {
        let headers = zs([0, 2, 4, 8, 10])
        TestData.assertError(.geometry, mentioning: "ImagePositionPatient (0020,0032)", "missing slice", "allowIrregular", "--allow-irregular", "IM3") {
            _ = try self.plan(headers)
        }
        let p = try plan(headers, DICOMReadOptions(allowIrregular: true))
        XCTAssertEqual(p.geometry.spacing.z, 2.5)
        XCTAssertTrue(p.warnings.contains { $0.contains("irregular slice spacing") && $0.contains("mean spacing 2.5") }, "\(p.warnings)")
    }

    func testUnevenSpacingIsRefused() {
        TestData.assertError(.geometry, mentioning: "spacing varies", "ImageOrientationPatient (0020,0037)") {
            _ = try self.plan(self.zs([0, 2, 4.6, 6, 8]))
        }
        // Rounding-level jitter is accepted.
        XCTAssertNoThrow(try plan(zs([0, 2.00004, 3.99997, 6.00002, 8])))
    }

    func testDuplicatePositions() throws {
        let headers = zs([0, 2, 2, 4])
        TestData.assertError(.geometry, mentioning: "duplicate slice positions", "IM2", "IM3", "ImagePositionPatient (0020,0032)") {
            _ = try self.plan(headers)
        }
        let p = try plan(headers, DICOMReadOptions(allowIrregular: true))
        XCTAssertEqual(p.slices.count, 3)
        XCTAssertTrue(p.warnings.contains { $0.contains("duplicate slice positions") })
    }

    func testSeveralVolumesAtTheSamePositions() throws {
        var headers: [DICOMFileHeader] = []
        for t in [2, 1] { for z in [0.0, 3, 6] { headers.append(header(headers.count + 1, SIMD3(0, 0, z), temporal: t)) } }
        let p = try plan(headers)
        XCTAssertEqual(p.volumeCount, 2)
        XCTAssertEqual(p.slices.count, 3)
        XCTAssertTrue(p.slices.allSatisfy { headers[$0.file].frames[0].temporalPositionIndex == 1 })
        XCTAssertTrue(p.warnings.contains { $0.contains("2 volumes") && $0.contains("TemporalPositionIndex (0020,9128)") && $0.contains("--volume") })
        let second = try plan(headers, DICOMReadOptions(volumeIndex: 1))
        XCTAssertTrue(second.slices.allSatisfy { headers[$0.file].frames[0].temporalPositionIndex == 2 })
        TestData.assertError(.invalidArgument, mentioning: "out of range", "2 volumes") {
            _ = try self.plan(headers, DICOMReadOptions(volumeIndex: 2))
        }
    }

    func testGantryTiltIsRefusedThenReadOnAShearedGrid() throws {
        let angle = 15.0 * Double.pi / 180
        let headers = (0..<5).map { k in header(k + 1, SIMD3(0, -2 * tan(angle) * Double(k), 2 * Double(k)), tilt: 15) }
        TestData.assertError(.geometry, mentioning: "gantry tilt", "GantryDetectorTilt (0018,1120) = 15°", "allowIrregular") {
            _ = try self.plan(headers)
        }
        let p = try plan(headers, DICOMReadOptions(allowIrregular: true))
        XCTAssertFalse(p.geometry.isOrthonormal())
        for (k, ref) in p.slices.enumerated() {
            let d = p.geometry.worldPoint(index: SIMD3(0, 0, Double(k))) - headers[ref.file].frames[0].position!
            XCTAssertLessThan((d * d).sum().squareRoot(), 1e-9)
        }
        XCTAssertTrue(p.warnings.contains { $0.contains("sheared grid") })
    }

    func testSingleSliceUsesThicknessOrOne() throws {
        var h = header(1, SIMD3(1, 2, 3))
        h.frames[0].sliceThickness = 5
        let p = try plan([h])
        XCTAssertEqual(p.geometry.size.z, 1)
        XCTAssertEqual(p.geometry.spacing.z, 5)
    }

    func testMissingGeometryStacksInInstanceOrderWithWarning() throws {
        var headers = zs([0, 1, 2])
        for i in headers.indices { headers[i].frames[0].position = nil; headers[i].frames[0].orientation = nil }
        let p = try plan(headers)
        XCTAssertEqual(p.slices.map(\.file), [0, 1, 2])
        XCTAssertEqual(p.geometry.direction, .identity)
        XCTAssertTrue(p.warnings.contains { $0.contains("ImagePositionPatient (0020,0032)") && $0.contains("not patient coordinates") })
        // Some positioned, some not: refused.
        for i in headers.indices { headers[i].frames[0].orientation = Self.axial }
        headers[0].frames[0].position = SIMD3(0, 0, 0)
        TestData.assertError(.geometry, mentioning: "2 of 3 images lack", "ImagePositionPatient (0020,0032)") { _ = try self.plan(headers) }
    }

    // MARK: grouping

    func testGroupingSplitsIncompatibleImagesOfOneUID() {
        let headers = [header(1, SIMD3(0, 0, 0)), header(2, SIMD3(0, 0, 2)),
                       header(3, SIMD3(0, 0, 0), orientation: Self.sagittal), header(4, SIMD3(0, 0, 4), rows: 8),
                       header(5, SIMD3(0, 0, 6), seriesNumber: 2)]
        let groups = DICOMSeriesGrouping.group(headers)
        XCTAssertEqual(groups.map(\.key), ["1.2.3#1", "1.2.3#2", "1.2.3#3", "1.2.3#4"])
        XCTAssertEqual(groups[0].frames.count, 2)
        let note = groups[0].warnings.first ?? ""
        for tag in ["ImageOrientationPatient (0020,0037)", "Rows/Columns", "SeriesNumber (0020,0011)"] {
            XCTAssertTrue(note.contains(tag), note)
        }
        XCTAssertTrue(groups.allSatisfy { $0.seriesInstanceUID == "1.2.3" })
    }

    func testEmptySeriesUIDGetsAStableSyntheticKey() {
        let headers = zs([0, 2, 4]).map { h -> DICOMFileHeader in var h = h; h.seriesInstanceUID = ""; return h }
        let groups = DICOMSeriesGrouping.group(headers)
        XCTAssertEqual(groups.count, 1)
        XCTAssertNil(groups[0].seriesInstanceUID)
        // FNV-1a of "1.2|1.2.9|1|CT|test||" — fixed, so the key survives restarts and copies.
        XCTAssertEqual(groups[0].key, "synthetic-" + DICOMSeriesGrouping.fnv1a64Hex("1.2|1.2.9|1|CT|test||"))
        XCTAssertEqual(DICOMSeriesGrouping.fnv1a64Hex(""), "cbf29ce484222325")
        XCTAssertEqual(DICOMSeriesGrouping.fnv1a64Hex("a"), "af63dc4c8601ec8c")
    }
}
