import Foundation
import XCTest
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMJob
import VoxSAMModel
import VoxSAMSegment
@testable import VoxSAMBatch

/// The real model on the real-data test batch (scripts/batch-testdata.sh): it runs to the end, the
/// corrupt study is reported with its error, the others complete. Kill/resume and concurrent shards
/// with the CLI: scripts/batch-acceptance.sh.
final class RealBatchTests: XCTestCase {
    typealias S = BatchTestSupport

    func testRealDataBatchRunsToTheEnd() throws {
        let modelPath: String
        do { modelPath = try ModelStore.resolve(modelOption: ProcessInfo.processInfo.environment["VOXSAM_MODEL"]) } catch {
            let reason = "skipped: LiteMedSAM is not installed (run `voxsam model fetch`): \(error)"
            print(reason)
            throw XCTSkip(reason)
        }
        let root = try S.temporaryFolder(self)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [S.repoRoot.appendingPathComponent("scripts/batch-testdata.sh").path, root + "/data"]
        try p.run(); p.waitUntilExit()
        if p.terminationStatus == 77 {
            let reason = "skipped: ../shared/data is absent (scripts/batch-testdata.sh)"
            print(reason)
            throw XCTSkip(reason)
        }
        XCTAssertEqual(p.terminationStatus, 0)
        let config = BatchConfiguration(
            studiesDirectory: root + "/data/studies", outputDirectory: root + "/out",
            prompts: try PromptsFile.load(path: root + "/data/prompts.csv"), segmentationProtocol: nil,
            settings: BatchSettings(segmentation: JobSettings(), outputs: [.labelMap(.nifti), .confidenceJSON, .qaPNG]),
            shard: .whole, jobs: 2, resume: false, modelSHA256: try ModelStore().sha256(ofFile: modelPath), modelFileName: "lite_medsam.pth")
        let model = LiteMedSAMSliceModel(model: try LiteMedSAM(checkpointPath: modelPath, threads: ProcessInfo.processInfo.activeProcessorCount))
        let report = try BatchRunner(config: config, model: model, log: { print("batch: \($0)") }).run()
        XCTAssertEqual(report.studies, 8)
        XCTAssertEqual(report.done, 6)
        XCTAssertEqual(report.failed, ["corrupt"])
        XCTAssertEqual(report.skipped, 1)
        let byStudy = Dictionary(uniqueKeysWithValues: report.merged.map { ($0.study, $0) })
        XCTAssertTrue(byStudy["corrupt"]?.error?.contains("corrupt/mr.nii.gz") == true)
        XCTAssertEqual(byStudy["no_prompts"]?.status, .skipped)
        XCTAssertEqual(byStudy["two_series"]?.series, "1.2.826.0.1.3680043.2.1125.1.9881642883347102869241902700569139")
        XCTAssertEqual(byStudy["ct_sm"]?.objects.map(\.name), ["liver", "spleen"])
        XCTAssertEqual(byStudy["mr_brain2"]?.objects.count, 1, "the npz's own box")
        for r in report.merged where r.status == .done {
            XCTAssertEqual(r.outputs.count, 5, "\(r.study): labels.nii.gz + its two sidecars, confidence.json, qa.png")
            for o in r.objects { XCTAssertGreaterThan(o.voxels, 0, "\(r.study) \(o.name)"); XCTAssertGreaterThan(o.meanIoU, 0.5, "\(r.study) \(o.name)") }
        }
        XCTAssertEqual(byStudy["ct3slice"]?.objects.first?.lowConfidenceSlices, [])

        // Exports through VoxSAMExport on the DICOM studies: Slicer .seg.nrrd, DICOM SEG, RTSTRUCT.
        try """
            study,series,name,label,from_mask,mask_label
            ct3slice,,liver,1,masks/ct3slice_liver.nrrd,1
            two_series,1.2.826.0.1.3680043.2.1125.1.9881642883347102869241902700569139,lesion,1,masks/tiny24x38_label.nrrd,
            """.write(toFile: root + "/data/dicom-prompts.csv", atomically: true, encoding: .utf8)
        var exports = config
        exports.prompts = try PromptsFile.load(path: root + "/data/dicom-prompts.csv")
        exports.outputDirectory = root + "/exports"
        exports.settings.outputs = [.labelMap(.nifti), .labelMap(.segNRRD), .labelMap(.dicomSEG), .labelMap(.rtstruct)]
        let e = try BatchRunner(config: exports, model: model, log: { print("batch: \($0)") }).run()
        XCTAssertEqual(e.done, 2)
        XCTAssertEqual(e.failed, [])
        XCTAssertEqual(e.skipped, 6, "studies without a line in this prompts file")
        let ct = try XCTUnwrap(e.merged.first { $0.study == "ct3slice" })
        XCTAssertEqual(ct.outputs.map(\.path), ["ct3slice/labels.nii.gz", "ct3slice/labels.labels.json", "ct3slice/labels.itksnap.txt", "ct3slice/labels.seg.nrrd", "ct3slice/seg.dcm", "ct3slice/rtstruct.dcm"])
        let seg = try Data(contentsOf: URL(fileURLWithPath: root + "/exports/ct3slice/seg.dcm"))
        XCTAssertEqual(String(decoding: seg[128..<132], as: UTF8.self), "DICM")
        XCTAssertTrue(seg.range(of: Data("10200004".utf8)) != nil, "the liver's SNOMED CT code is in the DICOM SEG")
    }
}
