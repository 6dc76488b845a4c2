import Foundation
import XCTest
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMIO
import VoxSAMTestSupport
@testable import VoxSAMCLI

/// `voxsam export` and `voxsam segment --output-format` end to end (dcmqi's 3 CT slices and its
/// liver/spine label maps; ../shared/data/D/dcmqi, BSD).
extension CLITests {
    func testExportWritesEveryFormat() throws {
        let series = try shared("D/dcmqi/data/segmentations/ct-3slice")
        let labels = try shared("D/dcmqi/data/segmentations/liver_spine_seg.nrrd")
        let dir = try tempDir()
        let names = "1=Liver,2=Thoracic spine"
        for (file, extra) in [("seg.dcm", [String]()), ("rt.dcm", ["--to", "rtstruct"]), ("slicer.seg.nrrd", []),
                              ("named.nii.gz", []), ("other.nrrd", ["--to", "nrrd"]), ("cvpr.npz", [])] {
            try run(["export", labels, "--reference", series, "--names", names, "--quiet", "-o", dir.appendingPathComponent(file).path] + extra)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(),
                       ["cvpr.npz", "named.itksnap.txt", "named.labels.json", "named.nii.gz", "other.itksnap.txt",
                        "other.labels.json", "other.nrrd", "rt.dcm", "seg.dcm", "slicer.seg.nrrd"])
        // The NIfTI export is on the source grid with the source's geometry.
        let written = try VolumeReader.read(path: dir.appendingPathComponent("named.nii.gz").path)
        let source = try VolumeReader.read(path: series)
        XCTAssertTrue(written.geometry.isSameGrid(as: source.geometry, tolerance: 1e-3))
    }

    /// Provenance: `export` does not know how a label map was made, so by default it claims no
    /// algorithm (MANUAL); `--algorithm-type/--algorithm-name` record another tool; `segment` records
    /// AUTOMATIC LiteMedSAM. (Export once wrote AUTOMATIC LiteMedSAM for any mask.) Read back with pydicom.
    func testExportRecordsTheAlgorithmItWasTold() throws {
        let series = try shared("D/dcmqi/data/segmentations/ct-3slice")
        let labels = try shared("D/dcmqi/data/segmentations/liver_spine_seg.nrrd")
        let dir = try tempDir()
        func provenance(_ file: String) throws -> String {
            let script = """
            import sys, pydicom
            d = pydicom.dcmread(sys.argv[1])
            if d.Modality == "SEG":
                s = d.SegmentSequence[0]
                algo = s.SegmentationAlgorithmIdentificationSequence[0] if "SegmentationAlgorithmIdentificationSequence" in s else None
                print(s.SegmentAlgorithmType, s.get("SegmentAlgorithmName", "-"), algo.AlgorithmName if algo else "-")
            else:
                r = d.RTROIObservationsSequence[0]
                print(r.RTROIInterpretedType, d.StructureSetROISequence[0].ROIGenerationAlgorithm, d.StructureSetROISequence[0].get("ROIGenerationDescription", "-"))
            """
            return try TestProcess.python(script, arguments: [file]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let seg = dir.appendingPathComponent("seg.dcm").path, rt = dir.appendingPathComponent("rt.dcm").path
        try run(["export", labels, "--reference", series, "--quiet", "-o", seg])
        try run(["export", labels, "--reference", series, "--quiet", "--to", "rtstruct", "-o", rt])
        XCTAssertEqual(try provenance(seg), "MANUAL - -")
        XCTAssertEqual(try provenance(rt), "ORGAN MANUAL -")
        try run(["export", labels, "--reference", series, "--quiet", "--algorithm-name", "nnU-Net 2.5", "-o", seg])
        try run(["export", labels, "--reference", series, "--quiet", "--algorithm-type", "semiautomatic", "--algorithm-name", "nnU-Net 2.5",
                 "--to", "rtstruct", "-o", rt])
        XCTAssertEqual(try provenance(seg), "AUTOMATIC nnU-Net 2.5 nnU-Net 2.5")
        XCTAssertEqual(try provenance(rt), "ORGAN SEMIAUTOMATIC nnU-Net 2.5")
        expectFailure(["export", labels, "--reference", series, "--algorithm-type", "automatic", "-o", seg], exit: 2,
                      naming: "--algorithm-name", fragment: "needs", dir: dir)
        expectFailure(["export", labels, "--reference", series, "--algorithm-type", "guesswork", "-o", seg], exit: 2,
                      naming: "--algorithm-type", fragment: "automatic, semiautomatic, manual", dir: dir)
        guard (try? ModelStore.resolve(modelOption: nil)) != nil else {
            print("skipped the segment part: the LiteMedSAM model is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM model is not installed")
        }
        try run(["segment", series, "--box", "79,145,0,350,366,2", "--name", "liver", "--label", "1", "--quiet", "-o", seg])
        XCTAssertTrue(try provenance(seg).hasPrefix("AUTOMATIC LiteMedSAM LiteMedSAM"))
    }

    func testExportRefusesBadRequestsBeforeWriting() throws {
        let series = try shared("D/dcmqi/data/segmentations/ct-3slice")
        let labels = try shared("D/dcmqi/data/segmentations/liver_spine_gapped_seg.nrrd")
        let dir = try tempDir()
        let out = dir.appendingPathComponent("seg.dcm").path
        expectFailure(["export", labels, "--to", "rtstruct", "-o", out], exit: 2, naming: "--reference", fragment: "DICOM series", dir: dir)
        expectFailure(["export", labels, "--reference", series, "--to", "dicom-seg", "-o", dir.appendingPathComponent("x.nii.gz").path],
                      exit: 2, naming: "x.nii.gz", fragment: "ending in .dcm", dir: dir)
        // A NIfTI reference has no SOP Instance UIDs.
        let ct = Self.repoRoot.appendingPathComponent("SampleData/ct/example_ct_sm.nii.gz").path
        expectFailure(["export", labels, "--reference", ct, "-o", out], exit: 2, naming: ct, fragment: "not a DICOM series", dir: dir)
        // A label map on another grid.
        let small = try shared("D/dcmqi/data/segmentations/24x38x3/nrrd/label.nrrd")
        expectFailure(["export", small, "--reference", series, "-o", out], exit: 2, naming: small, fragment: "not on the grid", dir: dir)
        // --strict: label 5 is not in the protocol.
        expectFailure(["export", labels, "--reference", series, "--protocol", "mr-brain-tumour", "--strict", "-o", out],
                      exit: 2, naming: "mr-brain-tumour", fragment: "label 5", dir: dir)
    }

    /// The whole path: segment a DICOM series with the real model straight into a DICOM SEG.
    func testSegmentWritesDICOMSEG() throws {
        let series = try shared("D/dcmqi/data/segmentations/ct-3slice")
        guard (try? ModelStore.resolve(modelOption: nil)) != nil else {
            print("skipped: the LiteMedSAM model is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM model is not installed")
        }
        let dir = try tempDir()
        let out = dir.appendingPathComponent("liver.dcm").path
        try run(["segment", series, "--box", "79,145,0,350,366,2", "--name", "liver", "--label", "1", "--quiet", "-o", out])
        let labelMap = dir.appendingPathComponent("liver.nrrd").path
        try run(["segment", series, "--box", "79,145,0,350,366,2", "--name", "liver", "--label", "1", "--quiet", "-o", labelMap])
        // The SEG holds exactly the label map (highdicom, per source instance).
        let check = Self.repoRoot.appendingPathComponent("Tests/Interop/check_dicom_export.py").path
        let out2 = try TestProcess.run("python3", [check, "seg", out, series, labelMap, "1=liver"])
        let text = out2.stdout + out2.stderr
        if text.contains("No module named"), ProcessInfo.processInfo.environment["CI"] != "true" {
            print("skipped the highdicom check: \(text)")
            return
        }
        XCTAssertEqual(out2.status, 0, text)
    }
}
