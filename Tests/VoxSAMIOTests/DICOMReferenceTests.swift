import Foundation
import XCTest
import VoxSAMTestSupport
import VoxSAMCore
@testable import VoxSAMIO

/// The dcm_qa data sets with dcm2niix reference NIfTIs: world geometry within 1e-3 mm and equal
/// voxels after mapping both arrays onto the same axes.
final class DICOMReferenceTests: XCTestCase {
    /// dcm_qa_ts: one Siemens mosaic (384×384 = 6×6 tiles of 64×64, 35 slices) in nine transfer
    /// syntaxes: explicit/implicit LE, explicit BE, RLE, JPEG lossless (2), JPEG-LS (2), JPEG 2000.
    func testTransferSyntaxMosaicsMatchDcm2niix() throws {
        let folder = try TestData.sharedData("B/dcm_qa_ts")
        var first: [Double]?
        for n in 1...9 {
            let volume = try DICOMReader.read(path: "\(folder)/In/\(n).dcm")
            XCTAssertEqual(volume.size, SIMD3(64, 64, 35), "\(n).dcm")
            XCTAssertEqual(volume.type, .uint16, "\(n).dcm")
            XCTAssertEqual(volume.metadata.sliceReferences.count, 35)
            XCTAssertEqual(volume.metadata.modality, "MR")
            try DICOMTestSupport.assertMatchesReference(volume, referencePath: "\(folder)/Ref/\(n).nii")
            let values = DICOMTestSupport.values(volume)
            if let first {
                XCTAssertEqual(zip(values, first).filter { $0 != $1 }.count, 0, "\(n).dcm decodes differently from 1.dcm")
            } else {
                first = values
            }
        }
    }

    /// The nine files share one SeriesInstanceUID but differ in SeriesNumber: nine series.
    func testTransferSyntaxFolderListsNineSeries() throws {
        let folder = try TestData.sharedData("B/dcm_qa_ts/In")
        let series = try DICOMReader.listSeries(path: folder)
        XCTAssertEqual(series.count, 9)
        XCTAssertEqual(series.map(\.seriesNumber), Array(1...9))
        for s in series {
            XCTAssertEqual(s.size, SIMD3(64, 64, 35))
            XCTAssertTrue(s.key.hasPrefix("1.3.12.2.1107.5.2.32.35131.2014031012481958900586557.0.0.0#"), s.key)
            XCTAssertTrue(s.warnings.contains { $0.contains("SeriesNumber (0020,0011)") }, "\(s.warnings)")
            XCTAssertNil(s.problem)
        }
        // No series chosen: the error lists them and names the flag.
        XCTAssertThrowsError(try DICOMReader.read(path: folder)) { error in
            let e = error as? VoxSAMError
            XCTAssertEqual(e?.code, .invalidArgument)
            XCTAssertTrue(e?.message.contains("--series") == true, "\(String(describing: e))")
            XCTAssertTrue(e?.message.contains("ax_asc_35sl") == true)
            XCTAssertTrue(e?.message.contains("35 slices") == true)
        }
        // Choosing by key reads the series of that file.
        let key = try XCTUnwrap(series.first { $0.files.first?.hasSuffix("/7.dcm") == true }?.key)
        let volume = try DICOMReader.read(path: folder, series: key)
        XCTAssertEqual(volume.metadata.sliceReferences.first?.file.hasSuffix("/7.dcm"), true)
        try DICOMTestSupport.assertMatchesReference(volume, referencePath: try TestData.sharedData("B/dcm_qa_ts/Ref/7.nii"))
    }

    /// dcm_qa_frag: 96 sagittal slices, each frame split over several fragments.
    func testFragmentedJPEGLosslessSeries() throws {
        let folder = try TestData.sharedData("B/dcm_qa_frag/In/5001_anat-T1w_acq-tfl")
        let volume = try DICOMReader.read(path: folder)
        XCTAssertEqual(volume.size, SIMD3(128, 128, 96))
        XCTAssertEqual(volume.metadata.sliceReferences.count, 96)
        try checkFragmentReference(volume, "B/dcm_qa_frag/Ref/anat-T1w_acq-tfl_5001.nii")
    }

    /// dcm2niix extrapolates the stack from the spacing of its first two slices (2.0001 mm from
    /// ImagePositionPatient values rounded to 0.1 µm…0.1 mm); VoxSAM uses the mean spacing of all 96
    /// slices (2.000001 mm). At the far end of the stack the two differ by 95 × 1.1e-4 ≈ 0.01 mm, so
    /// the affine is compared within 0.012 mm, and every slice is checked against its own
    /// ImagePositionPatient within 1e-3 mm.
    private func checkFragmentReference(_ volume: Volume, _ reference: String) throws {
        try DICOMTestSupport.assertMatchesReference(volume, referencePath: try TestData.sharedData(reference), affineTolerance: 0.012)
        try DICOMTestSupport.assertSlicePositions(volume)
    }

    func testFragmentedJPEG2000Series() throws {
        let folder = try TestData.sharedData("B/dcm_qa_frag/In/6001_anat-T1w_acq-tfl")
        let volume = try DICOMReader.read(path: folder)
        XCTAssertEqual(volume.size, SIMD3(128, 128, 96))
        try checkFragmentReference(volume, "B/dcm_qa_frag/Ref/anat-T1w_acq-tfl_6001.nii")
    }

    /// dcm_qa_enh Siemens XA10: four enhanced files (one time point each, 6 frames in SMS order)
    /// of one series → 4 volumes at 6 positions; the first is read, with a warning.
    func testEnhancedSiemensFirstTimePoint() throws {
        let folder = try TestData.sharedData("B/dcm_qa_enh/In/Siemens/XA10")
        let series = try DICOMReader.listSeries(path: folder)
        XCTAssertEqual(series.count, 1)
        XCTAssertEqual(series.first?.volumeCount, 4)
        XCTAssertEqual(series.first?.sliceCount, 6)
        let volume = try DICOMReader.read(path: folder)
        XCTAssertEqual(volume.size, SIMD3(64, 64, 6))
        XCTAssertTrue(volume.metadata.warnings.contains { $0.contains("4 volumes") && $0.contains("TemporalPositionIndex (0020,9128)") },
                      "\(volume.metadata.warnings)")
        XCTAssertTrue(volume.metadata.sliceReferences.allSatisfy { $0.frame != nil })
        XCTAssertTrue(volume.metadata.sliceReferences.allSatisfy { $0.file.hasSuffix("6_1.dcm") })
        try DICOMTestSupport.assertMatchesReference(volume, referencePath: try TestData.sharedData("B/dcm_qa_enh/Ref/Siemens_REST1_w_SMS_PF7-8_6.nii"))
        try DICOMTestSupport.assertSlicePositions(volume)

        // Another time point on request: same grid, different voxels, frames of 6_3.dcm.
        let third = try DICOMReader.read(path: folder, options: DICOMReadOptions(volumeIndex: 2))
        XCTAssertTrue(third.metadata.sliceReferences.allSatisfy { $0.file.hasSuffix("6_3.dcm") })
        XCTAssertTrue(third.geometry.isSameGrid(as: volume.geometry))
        XCTAssertThrowsError(try DICOMReader.read(path: folder, options: DICOMReadOptions(volumeIndex: 4)))
    }

    /// dcm_qa_enh Philips fieldmap: 64 frames = 32 positions × (magnitude, field map in Hz),
    /// with per-frame RescaleSlope/Intercept (PixelValueTransformationSequence). dcm2niix stores
    /// the raw values, so they are compared with the rescale off; the rescaled field map is
    /// checked against the reference's scl_slope/scl_inter (the same as the DICOM rescale).
    func testEnhancedPhilipsMagnitudeAndFieldMap() throws {
        let file = try TestData.sharedData("B/dcm_qa_enh/In/Philips/IM_0027_fMAP.dcm")
        let raw = DICOMReadOptions(applyRescale: false)
        let magnitude = try DICOMReader.read(path: file, options: raw)
        XCTAssertEqual(magnitude.size, SIMD3(64, 64, 32))
        XCTAssertTrue(magnitude.metadata.warnings.contains { $0.contains("2 volumes") && $0.contains("FrameType (0008,9007)") },
                      "\(magnitude.metadata.warnings)")
        try DICOMTestSupport.assertMatchesReference(magnitude, referencePath: try TestData.sharedData("B/dcm_qa_enh/Ref/Philips_WIP_B0_NS_801_e1.nii"))
        try DICOMTestSupport.assertSlicePositions(magnitude)

        var second = raw
        second.volumeIndex = 1
        let fieldMapRaw = try DICOMReader.read(path: file, options: second)
        let reference = try TestData.sharedData("B/dcm_qa_enh/Ref/Philips_WIP_B0_NS_801_e2_fieldmaphz.nii")
        try DICOMTestSupport.assertMatchesReference(fieldMapRaw, referencePath: reference)

        // Rescaled (Hz): dcm2niix's scl_slope is Philips' "precise" 1/ScaleSlope (0.24420166) where
        // RescaleSlope (0028,1053) is 0.24420024, hence up to 2047 × 1.4e-6 ≈ 0.003 Hz apart.
        let fieldMap = try DICOMReader.read(path: file, options: DICOMReadOptions(volumeIndex: 1))
        XCTAssertEqual(fieldMap.type, .float32)
        XCTAssertEqual(fieldMap.voxels.range?.min ?? 0, -495.6, accuracy: 0.1)
        let header = try DICOMTestSupport.ReferenceNIfTI(path: reference)
        try DICOMTestSupport.assertMatchesReference(fieldMap, referencePath: reference,
                                                    transform: { $0 * header.sclSlope + header.sclInter }, tolerance: 0.01)
    }
}
