import Foundation
import XCTest
import VoxSAMTestSupport
import VoxSAMCore
@testable import VoxSAMIO

/// Series discovery: empty UIDs, DICOMDIR, several series in a folder, metadata of the volume.
final class DICOMSeriesTests: XCTestCase {
    /// TotalSegmentator's example CT: 20 JPEG 2000 slices with EMPTY SOP/Series/Study UIDs (only
    /// the file meta has the SOP Instance UID): one series with a stable synthetic key, on the grid
    /// of `example_seg_dicom.nii.gz` (TotalSegmentator's output for it, dcm2niix geometry).
    func testTotalSegmentatorSeriesWithEmptyUIDs() throws {
        let folder = try TestData.sharedData("A/TotalSegmentator/tests/reference_files/example_ct_dicom")
        let series = try DICOMReader.listSeries(path: folder)
        XCTAssertEqual(series.count, 1)
        let s = try XCTUnwrap(series.first)
        XCTAssertNil(s.seriesInstanceUID)
        XCTAssertTrue(s.key.hasPrefix("synthetic-") && s.key.count == "synthetic-".count + 16, s.key)
        XCTAssertEqual(s.size, SIMD3(512, 512, 20))
        XCTAssertEqual(s.files.count, 20)
        XCTAssertEqual(s.seriesDescription, "CT Body 3.0")
        XCTAssertEqual(try DICOMReader.listSeries(path: folder).first?.key, s.key, "synthetic key must be stable")

        let volume = try DICOMReader.read(path: folder)
        XCTAssertEqual(volume.size, SIMD3(512, 512, 20))
        XCTAssertEqual(volume.type, .int16, "CT with RescaleIntercept -1024 fits int16 exactly")
        XCTAssertEqual(volume.metadata.modality, "CT")
        XCTAssertNil(volume.metadata.seriesInstanceUID)
        XCTAssertEqual(volume.metadata.dicomAttributes["SeriesKey"], s.key)
        XCTAssertTrue(volume.metadata.warnings.contains { $0.contains("SeriesInstanceUID (0020,000E)") })
        // SOP Instance UIDs come from the file meta information; they follow InstanceNumber along k here.
        let uids = volume.metadata.sliceReferences.map(\.sopInstanceUID)
        XCTAssertTrue(uids.allSatisfy { $0.hasPrefix("1.3.12.2.1107.5.1.4.60064.") }, "\(uids.prefix(2))")
        XCTAssertEqual(Set(uids).count, 20)
        XCTAssertTrue(volume.metadata.sliceReferences.allSatisfy { $0.sopClassUID == "1.2.840.10008.5.1.4.1.1.2" && $0.frame == nil })
        let range = try XCTUnwrap(volume.voxels.range)
        XCTAssertEqual(range.min, -1024)
        XCTAssertGreaterThan(range.max, 1000)
        XCTAssertNotNil(volume.metadata.windowCenter)
        try DICOMTestSupport.assertSlicePositions(volume)

        let segmentation = try NIfTIReader.read(path: try TestData.sharedData("A/TotalSegmentator/tests/reference_files/example_seg_dicom.nii.gz"))
        let map = try XCTUnwrap(DICOMTestSupport.axisMap(ours: volume.geometry, reference: segmentation.geometry),
                                "axes of \(volume.geometry.direction) vs \(segmentation.geometry.direction)")
        let difference = DICOMTestSupport.affineDifference(ours: volume.geometry, reference: segmentation.geometry, map: map)
        print("DICOM reference check example_seg_dicom.nii.gz: max affine difference " + String(format: "%.2e", difference) + " mm")
        XCTAssertLessThan(difference, 1e-3)
    }

    /// pydicom's dicomdirtests: a DICOMDIR referencing CT, MR and CR series in sub-folders.
    func testDICOMDIRListsReferencedSeries() throws {
        let dicomdir = try TestData.sharedData("\(DICOMTestSupport.pydicomFiles)/dicomdirtests/DICOMDIR")
        let inventory = try DICOMReader.inventory(path: dicomdir)
        let files = Set(inventory.series.flatMap(\.files).map { ($0 as NSString).lastPathComponent })
        XCTAssertTrue(files.isSuperset(of: ["17106", "2062", "4919", "6154"]), "\(files.sorted())")
        XCTAssertTrue(inventory.unreadableFiles.isEmpty, "\(inventory.unreadableFiles)")
        XCTAssertGreaterThanOrEqual(inventory.series.count, 5)
        for s in inventory.series { XCTAssertTrue(s.files.allSatisfy { $0.contains("/dicomdirtests/") }) }

        // The same images listed from the folder (DICOMDIR files there are non-image DICOM).
        let folder = (dicomdir as NSString).deletingLastPathComponent
        let fromFolder = try DICOMReader.inventory(path: folder)
        XCTAssertTrue(fromFolder.nonImageFiles.contains { $0.path.hasSuffix("/DICOMDIR") && $0.message.contains("DICOMDIR") })
        XCTAssertTrue(Set(inventory.series.map(\.key)).isSubset(of: Set(fromFolder.series.map(\.key))))

        // A CT series of the DICOMDIR reads as a volume.
        let ct = try XCTUnwrap(inventory.series.first { $0.modality == "CT" && $0.sliceCount == 5 }, "\(inventory.series.map { ($0.key, $0.sliceCount) })")
        let volume = try DICOMReader.read(path: dicomdir, series: ct.key)
        XCTAssertEqual(volume.size, SIMD3(16, 16, 5))
        XCTAssertEqual(volume.metadata.seriesInstanceUID, ct.seriesInstanceUID)
    }

    /// Localizer MR series mixing orientations is split, with a warning naming the tag.
    func testMixedOrientationSeriesIsSplit() throws {
        let folder = try TestData.sharedData("\(DICOMTestSupport.pydicomFiles)/dicomdirtests/98892003/MR2")
        let series = try DICOMReader.listSeries(path: folder)
        XCTAssertGreaterThan(series.count, 1)
        let split = series.filter { $0.key.contains("#") }
        XCTAssertFalse(split.isEmpty)
        XCTAssertTrue(split.allSatisfy { $0.warnings.contains { $0.contains("ImageOrientationPatient (0020,0037)") } }, "\(split.map(\.warnings))")
        // Asking for the shared UID names the keys to choose from.
        let uid = try XCTUnwrap(split.first?.seriesInstanceUID)
        TestData.assertError(.invalidArgument, mentioning: "#") { _ = try DICOMReader.read(path: folder, series: uid) }
        TestData.assertError(.invalidArgument, mentioning: "--series") { _ = try DICOMReader.read(path: folder, series: "1.2.3.no.such") }
        // Each split series reads.
        for s in split where s.isReadable { XCTAssertNoThrow(try DICOMReader.read(path: folder, series: s.key)) }
    }

    /// RT Dose: one ImagePositionPatient, frames placed by GridFrameOffsetVector (3004,000C),
    /// values scaled by DoseGridScaling (3004,000E).
    func testRTDoseFramesFollowGridFrameOffsetVector() throws {
        let path = try TestData.sharedData("\(DICOMTestSupport.pydicomFiles)/rtdose.dcm")
        let volume = try DICOMReader.read(path: path)
        XCTAssertEqual(volume.size, SIMD3(10, 10, 15))
        XCTAssertEqual(volume.geometry.spacing, SIMD3(10, 10, 5))
        XCTAssertEqual(volume.geometry.origin, SIMD3(189.43125, 199.43125, -761.87))
        XCTAssertEqual(volume.type, .float32)
        XCTAssertEqual(volume.metadata.sliceReferences.map(\.frame), (1...15).map { $0 })
    }

    /// DICOM SEG objects carry pixel data but are label objects: not listed as image series.
    func testSegmentationObjectsAreNotImageSeries() throws {
        let folder = try TestData.sharedData("D/dcmqi/data/segmentations")
        let inventory = try DICOMReader.inventory(path: folder)
        XCTAssertFalse(inventory.series.isEmpty)
        XCTAssertTrue(inventory.series.allSatisfy { $0.modality == "CT" }, "\(inventory.series.map(\.modality))")
        XCTAssertTrue(inventory.nonImageFiles.contains { $0.path.hasSuffix("/liver.dcm") && $0.message.contains("SegmentationStorage") })
        let seg = "\(folder)/liver.dcm"
        TestData.assertError(.unsupportedData, mentioning: "not an image", "SegmentationStorage", path: seg) { _ = try DICOMReader.read(path: seg) }
    }

    /// Patient/study attributes and per-slice references reach VolumeMetadata.
    func testMetadataOfSampleCT() throws {
        let path = DICOMTestSupport.sample("CT_small.dcm")
        let volume = try DICOMReader.read(path: path)
        XCTAssertEqual(volume.size, SIMD3(128, 128, 1))
        XCTAssertEqual(volume.type, .int16)
        XCTAssertEqual(volume.metadata.modality, "CT")
        XCTAssertEqual(volume.metadata.sourceFormat, "dicom")
        XCTAssertEqual(volume.metadata.sourcePath, path)
        XCTAssertNotNil(volume.metadata.patientName)
        XCTAssertNotNil(volume.metadata.studyInstanceUID)
        XCTAssertNotNil(volume.metadata.frameOfReferenceUID)
        XCTAssertNotNil(volume.metadata.dicomAttributes["StudyDate"])
        XCTAssertEqual(volume.metadata.sliceReferences.count, 1)
        XCTAssertEqual(volume.metadata.sliceReferences[0].sopClassUID, "1.2.840.10008.5.1.4.1.1.2")
        XCTAssertNil(volume.metadata.sliceReferences[0].frame)
        XCTAssertEqual(volume.geometry.spacing.x, 0.661468, accuracy: 1e-6)
        XCTAssertEqual(volume.geometry.origin, SIMD3(-158.135803, -179.035797, -75.699997))
        XCTAssertEqual(volume.geometry.orientationCode, "LPS")
        // RescaleIntercept -1024 applied: HU.
        let stored = try DICOMReader.read(path: path, options: DICOMReadOptions(applyRescale: false))
        XCTAssertEqual(volume.voxels[0], stored.voxels[0] - 1024)
    }
}
