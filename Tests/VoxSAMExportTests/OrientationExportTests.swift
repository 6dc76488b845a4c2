import Foundation
import XCTest
import VoxSAMTestSupport
import VoxSAMCore
import VoxSAMExport
import VoxSAMIO
import VoxSAMProtocol

/// Orientation cases for DICOM SEG and RTSTRUCT: DICOM series written with pydicom on grids of
/// niivue's 48-orientation NIfTI set (sagittal, coronal, axial; negative row/column cosines;
/// descending slice order; oblique), label maps stored by nibabel in canonical RAS order (another
/// axis order than the series). For each: dciodvfy 0 errors; highdicom masks equal per source
/// instance; RTSTRUCT Dice ≥ 0.98; world centroids of label map, SEG and RTSTRUCT within ½ voxel.
final class OrientationExportTests: XCTestCase {
    static let cases: [(String, [String])] = [
        ("AIL", []),                              // sagittal slices; i → anterior, j → inferior (negative cosines)
        ("PSR", ["--descending"]),                // sagittal, InstanceNumber against position
        ("LIA", ["--oblique", "25"]),             // coronal, rotated 25° about an oblique axis
        ("RPI", ["--descending"]),                // axial, k towards inferior
        ("SRP", ["--oblique", "-40"]),            // slices along P, rows along S, oblique
    ]

    func testOrientationCases() throws {
        let nifti = try TestData.sharedData("C/niivue/packages/niivue/tests/images/nifti_space")
        try Interop.requirePython(["pydicom", "highdicom", "nibabel", "nrrd", "numpy"])
        let root = try TestData.temporaryFolder(self)
        let catalog = SegmentCatalog()
        let segments = try catalog.describe([(label: 1, name: "Tissue", color: nil), (label: 2, name: "Core", color: nil)])
        for (name, options) in Self.cases {
            let folder = root.appendingPathComponent(name).path
            try Interop.python("oriented_series.py", ["make", "\(nifti)/\(name).nii.gz", folder] + options)
            let seriesDir = folder + "/series", labelsPath = folder + "/labels.nii.gz"
            let source = try VolumeReader.read(path: seriesDir)
            let labels = try VolumeReader.read(path: labelsPath)
            XCTAssertNotEqual(labels.geometry.orientationCode, source.geometry.orientationCode, "\(name): the label map is stored in another axis order")
            for (format, file) in [(OutputFormat.dicomSEG, "seg.dcm"), (.rtstruct, "rt.dcm")] {
                let out = folder + "/" + file
                _ = try Exporter.export(ExportRequest(labelMap: labels, labelMapPath: labelsPath, source: source, sourcePath: seriesDir,
                                                      segments: segments, format: format, output: out, algorithm: .liteMedSAM()))
                XCTAssertEqual(try Interop.dciodvfyErrors(out), [], "\(name) \(file)")
            }
            try Interop.python("check_dicom_export.py", ["seg", folder + "/seg.dcm", seriesDir, folder + "/expected.nrrd", "1=Tissue,2=Core"])
            try Interop.python("check_dicom_export.py", ["rtstruct", folder + "/rt.dcm", seriesDir, folder + "/expected.nrrd", "1=Tissue,2=Core", "0.98"])
            let text = try Interop.python("oriented_series.py", ["centroids", folder + "/seg.dcm", folder + "/rt.dcm", seriesDir, labelsPath, "1=Tissue,2=Core"])
            print("\(name) \(options.joined(separator: " ")): \(text.split(separator: "\n").suffix(2).joined(separator: " "))")
        }
    }
}
