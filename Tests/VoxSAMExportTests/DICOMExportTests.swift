import Foundation
import XCTest
import VoxSAMTestSupport
import VoxSAMCore
import VoxSAMExport
import VoxSAMIO
import VoxSAMProtocol

/// DICOM SEG and RTSTRUCT written through DCMTK, checked by independent readers: dicom3tools'
/// dciodvfy (0 errors), highdicom (masks per source instance equal to the label map, frame
/// positions equal to the source's), pydicom + an even-odd polygon fill (RTSTRUCT Dice ≥ 0.98).
/// Source: dcmqi's 3 real CT slices with its liver+spine label map (BSD, ../shared/data/D/dcmqi).
final class DICOMExportTests: XCTestCase {
    struct Case {
        var sourceDir: String
        var source: Volume
        var series: DICOMSourceSeries
        var labelMap: Volume
        var segments: [SegmentDescription]
        var names: String
        var folder: URL
        var expected: String
    }

    func makeCase(labelMapFile: String = "D/dcmqi/data/segmentations/liver_spine_seg.nrrd",
                  names: [Int: String] = [1: "Liver", 2: "Thoracic spine"]) throws -> Case {
        let dir = try TestData.sharedData("D/dcmqi/data/segmentations/ct-3slice")
        let source = try VolumeReader.read(path: dir)
        let series = try DICOMSourceSeries(source, path: dir)
        let labelsPath = try TestData.sharedData(labelMapFile)
        let labelMap = try series.align(try VolumeReader.read(path: labelsPath), labelMapPath: labelsPath)
        let segments = try SegmentCatalog().describe(names.map { (label: $0.key, name: Optional($0.value), color: nil) })
        let folder = try TestData.temporaryFolder(self)
        let expected = folder.appendingPathComponent("expected.nrrd").path
        try VolumeWriter.write(labelMap, to: expected)
        let namesText = names.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return Case(sourceDir: dir, source: source, series: series, labelMap: labelMap, segments: segments,
                    names: namesText, folder: folder, expected: expected)
    }

    func testSEGReadByHighdicomAndValidByDciodvfy() throws {
        let c = try makeCase()
        let out = c.folder.appendingPathComponent("seg.dcm").path
        let result = try DICOMSegWriter.write(labelMap: c.labelMap, source: c.series, segments: c.segments,
                                              series: DerivedSeriesInfo(seriesDescription: "VoxSAM test"), algorithm: { _ in .liteMedSAM() }, to: out)
        XCTAssertGreaterThan(result.frameCount, 0)
        XCTAssertEqual(try Interop.dciodvfyErrors(out), [])
        try Interop.requirePython(["pydicom", "highdicom", "nrrd", "numpy"])
        let text = try Interop.python("check_dicom_export.py", ["seg", out, c.sourceDir, c.expected, c.names])
        print(text)
        XCTAssertEqual(TestData.listing(c.folder), ["expected.nrrd", "seg.dcm"], "no temporary file left")
        // Attribute layout as dcmqi writes it for the same series (its liver.dcm).
        let dcmqi = try TestData.sharedData("D/dcmqi/data/segmentations/liver.dcm")
        try Interop.python("check_dicom_export.py", ["layout", out, dcmqi])
    }

    func testRTSTRUCTContoursRasteriseBackAndValidByDciodvfy() throws {
        let c = try makeCase()
        let out = c.folder.appendingPathComponent("rtstruct.dcm").path
        let result = try RTStructWriter.write(labelMap: c.labelMap, source: c.series, segments: c.segments,
                                              series: DerivedSeriesInfo(seriesDescription: "VoxSAM test"), algorithm: { _ in .liteMedSAM() }, to: out)
        XCTAssertGreaterThan(result.contourCount, 0)
        XCTAssertEqual(try Interop.dciodvfyErrors(out), [])
        try Interop.requirePython(["pydicom", "nrrd", "numpy"])
        print(try Interop.python("check_dicom_export.py", ["rtstruct", out, c.sourceDir, c.expected, c.names, "0.98"]))
        // The exact pixel boundary rasterises back to the label map exactly.
        let exact = c.folder.appendingPathComponent("rtstruct-exact.dcm").path
        _ = try RTStructWriter.write(labelMap: c.labelMap, source: c.series, segments: c.segments,
                                     series: DerivedSeriesInfo(seriesDescription: "VoxSAM test"), algorithm: { _ in .liteMedSAM() }, simplification: .none, to: exact)
        print(try Interop.python("check_dicom_export.py", ["rtstruct", exact, c.sourceDir, c.expected, c.names, "1.0"]))
    }

    /// A label map in another axis order/direction (as dcm2niix writes a series: RAS-flipped, and
    /// here also i/j swapped) is reindexed exactly onto the series: the SEG is the same.
    func testFlippedPermutedLabelMapExportsIdentically() throws {
        let c = try makeCase()
        let g = c.labelMap.geometry
        // The same voxel centres with axes (j, i, k) and i, k reversed.
        var other = g
        other.size = SIMD3(g.size.y, g.size.x, g.size.z)
        other.spacing = SIMD3(g.spacing.y, g.spacing.x, g.spacing.z)
        let dj = g.direction[column: 1], di = g.direction[column: 0], dk = g.direction[column: 2]
        other.direction = Matrix3(columns: -dj, di, -dk)
        other.origin = g.worldPoint(index: SIMD3(0, Double(g.size.y - 1), Double(g.size.z - 1)))
        guard let toOther = other.axisMapping(from: g) else { return XCTFail("no mapping") }
        let moved = c.labelMap.reindexed(onto: other, mapping: toOther)
        let back = try c.series.align(moved, labelMapPath: "moved")
        XCTAssertEqual(back.voxels, c.labelMap.voxels, "reindexing there and back is exact")
        let out = c.folder.appendingPathComponent("seg-moved.dcm").path
        _ = try DICOMSegWriter.write(labelMap: back, source: c.series, segments: c.segments,
                                     series: DerivedSeriesInfo(seriesDescription: "VoxSAM test"), algorithm: { _ in .liteMedSAM() }, to: out)
        try Interop.requirePython(["pydicom", "highdicom", "nrrd", "numpy"])
        try Interop.python("check_dicom_export.py", ["seg", out, c.sourceDir, c.expected, c.names])
    }

    func testRefusesNonDICOMSourceShiftedGridAndUnnamedLabels() throws {
        let c = try makeCase()
        // A NIfTI source has no SOP Instance UIDs.
        let nifti = c.folder.appendingPathComponent("source.nii.gz").path
        try VolumeWriter.write(c.source, to: nifti)
        let niftiSource = try VolumeReader.read(path: nifti)
        TestData.assertError(.invalidArgument, mentioning: "not a DICOM series", "--reference") {
            _ = try DICOMSourceSeries(niftiSource, path: nifti)
        }
        // A label map shifted by half a voxel is not on the grid.
        var shifted = c.labelMap
        shifted.geometry.origin += SIMD3(0.4, 0, 0)
        TestData.assertError(.geometry, mentioning: "not on the grid", "resample") {
            _ = try c.series.align(shifted, labelMapPath: "shifted.nrrd")
        }
        // Label 2 without a description.
        let out = c.folder.appendingPathComponent("seg.dcm").path
        TestData.assertError(.invalidArgument, mentioning: "label value(s) 2", "--names") {
            _ = try DICOMSegWriter.write(labelMap: c.labelMap, source: c.series, segments: [c.segments[0]],
                                         series: DerivedSeriesInfo(seriesDescription: "x"), algorithm: { _ in .liteMedSAM() }, to: out)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
        XCTAssertEqual(TestData.listing(c.folder), ["expected.nrrd", "source.nii.gz"])
    }

    /// A multi-frame (Legacy Converted Enhanced CT) source: frames reference the right source frame
    /// (ReferencedFrameNumber 1-based); names and series description outside ASCII ("Läsion") are
    /// kept in UTF-8 (ISO_IR 192) in SEG and RTSTRUCT; RTSTRUCT is implicit VR (long ContourData).
    func testMultiFrameSourceAndNonASCIIText() throws {
        let dir = try TestData.sharedData("D/dcmqi/data/segmentations/24x38x3/multiframe")
        let labelsPath = try TestData.sharedData("D/dcmqi/data/segmentations/24x38x3/nrrd/label.nrrd")
        let source = try VolumeReader.read(path: dir)
        XCTAssertEqual(source.metadata.sliceReferences.map(\.frame), [1, 2, 3])
        let series = try DICOMSourceSeries(source, path: dir)
        let labels = try series.align(try VolumeReader.read(path: labelsPath), labelMapPath: labelsPath)
        let segments = try SegmentCatalog().describe([(label: 1, name: "Läsion", color: nil)])
        let folder = try TestData.temporaryFolder(self)
        let seg = folder.appendingPathComponent("seg.dcm").path, rt = folder.appendingPathComponent("rt.dcm").path
        let info = DerivedSeriesInfo(seriesDescription: "Läsionen — VoxSAM")
        _ = try DICOMSegWriter.write(labelMap: labels, source: series, segments: segments, series: info, algorithm: { _ in .liteMedSAM() }, to: seg)
        _ = try RTStructWriter.write(labelMap: labels, source: series, segments: segments, series: info, algorithm: { _ in .liteMedSAM() }, to: rt)
        XCTAssertEqual(try Interop.dciodvfyErrors(seg), [])
        XCTAssertEqual(try Interop.dciodvfyErrors(rt), [])
        try Interop.requirePython(["pydicom", "nrrd", "numpy"])
        try Interop.python("check_dicom_export.py", ["frames", seg, dir + "/mf.dcm", labelsPath])
        let text = try Interop.run("python3", ["-c", """
            import pydicom
            s, r = pydicom.dcmread('\(seg)'), pydicom.dcmread('\(rt)')
            print(s.SpecificCharacterSet, s.SegmentSequence[0].SegmentLabel, s.SeriesDescription)
            print(r.SpecificCharacterSet, r.StructureSetROISequence[0].ROIName, r.file_meta.TransferSyntaxUID,
                  r.ROIContourSequence[0].ContourSequence[0].ContourImageSequence[0].ReferencedFrameNumber)
            """])?.text ?? ""
        XCTAssertEqual(text.split(separator: "\n").map(String.init),
                       ["ISO_IR 192 Läsion Läsionen — VoxSAM", "ISO_IR 192 Läsion 1.2.840.10008.1.2 2"], text)
    }
}
