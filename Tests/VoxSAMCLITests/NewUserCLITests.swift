import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
import VoxSAMTestSupport
import VoxSAMCheckpoint
@testable import VoxSAMCLI

/// `voxsam eval` as a new user meets it: a prediction written in another axis order than the ground
/// truth (dcm2niix / nnU-Net NIfTI of a series), `--labels` to restrict, labels absent from both maps
/// kept out of the means, HD95 (TotalSegmentator's example label map: 117 labels, 512×512×20).
extension CLITests {
    func evalJSON(_ args: [String]) throws -> [String: Any] {
        let out = try TestProcess.run(Self.repoRoot.appendingPathComponent(".build/release/voxsam").path, ["eval"] + args + ["--json"])
        XCTAssertEqual(out.status, 0, out.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
    }

    func testEvalAlignsAxisOrderRestrictsLabelsAndReportsHD95() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.repoRoot.appendingPathComponent(".build/release/voxsam").path),
                          "needs .build/release/voxsam (swift build -c release --product voxsam)")
        let gtPath = try shared("A/TotalSegmentator/tests/reference_files/example_seg_dicom.nii.gz")
        let dir = try tempDir()
        let gt = try VolumeReader.read(path: gtPath)
        // A prediction: labels 1 and 5 eroded by one slice at the top, everything else dropped; written
        // with the axes (j, i, k) and i, k reversed — the same voxel centres in another axis order.
        var pred = gt
        if case .uint8(var a) = gt.voxels {
            let n = gt.size.x * gt.size.y
            for i in a.indices where a[i] != 1 && a[i] != 5 { a[i] = 0 }
            for i in (n * (gt.size.z - 1))..<(n * gt.size.z) { a[i] = 0 }
            pred.voxels = .uint8(a)
        } else { return XCTFail("expected uint8 labels, got \(gt.type)") }
        let g = gt.geometry
        var other = g
        other.size = SIMD3(g.size.y, g.size.x, g.size.z)
        other.spacing = SIMD3(g.spacing.y, g.spacing.x, g.spacing.z)
        other.direction = Matrix3(columns: -g.direction[column: 1], g.direction[column: 0], -g.direction[column: 2])
        other.origin = g.worldPoint(index: SIMD3(0, Double(g.size.y - 1), Double(g.size.z - 1)))
        let moved = pred.reindexed(onto: other, mapping: try XCTUnwrap(other.axisMapping(from: g)))
        let predPath = dir.appendingPathComponent("pred-other-axis-order.nii.gz").path
        try VolumeWriter.write(moved, to: predPath)

        // Before: "not on the same grid" (sizes 512x512x20 vs 512x512x20). Now reindexed exactly.
        let restricted = try evalJSON([predPath, gtPath, "--labels", "1,5"])
        XCTAssertEqual(restricted["labels_in_mean"] as? [Int], [1, 5])
        let per = try XCTUnwrap(restricted["per_label"] as? [[String: Any]])
        XCTAssertEqual(per.count, 2)
        for s in per {
            XCTAssertGreaterThan(s["dsc"] as? Double ?? 0, 0.85, "label \(s["label"] ?? "?"): one slice less")
            XCTAssertLessThan(s["dsc"] as? Double ?? 1, 1)
            XCTAssertNotNil(s["hd95_mm"] as? Double)
        }
        XCTAssertGreaterThan(restricted["dsc"] as? Double ?? 0, 0.85)

        // The same map against itself in the other axis order: exact.
        let same = try evalJSON([predPath, predPath])
        XCTAssertEqual(same["dsc"] as? Double, 1)
        XCTAssertEqual(same["hd95_mm"] as? Double, 0)

        // Unrestricted: the labels missing from the prediction count (DSC 0); a requested label that is
        // in neither map is listed but not averaged.
        let all = try evalJSON([predPath, gtPath, "--labels", "1,5,250"])
        XCTAssertEqual(all["labels_in_mean"] as? [Int], [1, 5])
        let absent = try XCTUnwrap((all["per_label"] as? [[String: Any]])?.first { $0["label"] as? Int == 250 })
        XCTAssertEqual(absent["absent_from_both"] as? Bool, true)
        let every = try evalJSON([predPath, gtPath])
        XCTAssertEqual((every["labels_in_mean"] as? [Int])?.count, Set(gt.voxels.labelValues).subtracting([0]).count)

        // A prediction on another grid is still refused, naming both grids.
        let small = try shared("D/dcmqi/data/segmentations/liver_spine_seg.nrrd")
        expectFailure(["eval", small, gtPath], exit: 2, naming: small, fragment: "not on the grid", dir: dir)
        expectFailure(["eval", predPath, gtPath, "--labels", "1,x"], exit: 2, naming: "--labels", fragment: "1,5", dir: dir)
    }

    /// VoxSAM's own .npz output of a MedSAM2-style case keeps origin and direction, so `eval` compares
    /// it with the input (it refused: "differ by 10 mm"); a CVPR24 .npz (spacing only) is compared by
    /// size and spacing.
    func testEvalComparesNPZOutputsWithMedSAM2Inputs() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.repoRoot.appendingPathComponent(".build/release/voxsam").path),
                          "needs .build/release/voxsam (swift build -c release --product voxsam)")
        let input = try shared("A/MedSAM2/data/RECIST_train_npz/CT_Lesion_000002_03_01_035-047.npz")
        let dir = try tempDir()
        let gts = try NPZVolume.read(path: input, array: "gts")
        let ours = dir.appendingPathComponent("segs.npz").path
        try NPZVolume.writeLabelMap(gts, to: ours)
        XCTAssertEqual(try evalJSON([ours, input])["dsc"] as? Double, 1)
        var plain = gts
        plain.geometry = Geometry(size: gts.size, spacing: gts.geometry.spacing)
        let cvpr = dir.appendingPathComponent("cvpr.npz").path
        try NPZVolume.writeLabelMap(plain, to: cvpr)
        XCTAssertEqual(try evalJSON([cvpr, input])["dsc"] as? Double, 1)
    }

    /// `voxsam --version` prints the version exported objects record.
    func testVersionFlag() throws {
        let exe = Self.repoRoot.appendingPathComponent(".build/release/voxsam")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: exe.path), "needs .build/release/voxsam")
        let out = try TestProcess.run(exe.path, ["--version"])
        XCTAssertEqual(out.status, 0)
        XCTAssertEqual(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines), VoxSAMVersion.string)
    }

    /// Every command's --help shows an example; batch's also lists the prompts CSV columns.
    func testEveryHelpHasAnExample() {
        for sub in VoxSAMCommand.configuration.subcommands {
            let help = VoxSAMCommand.helpMessage(for: sub)
            XCTAssertTrue(help.contains("Example"), "`voxsam \(sub.configuration.commandName ?? "?") --help` has no example")
        }
        let batch = VoxSAMCommand.helpMessage(for: BatchCommand.self)
        for column in ["study", "series", "image", "name", "label", "box_mm", "from_mask", "mask_label", "key_slice", "color"] {
            XCTAssertTrue(batch.contains(column), "batch --help lacks the CSV column \(column)")
        }
    }

    /// `info` on a folder of 9 series of one SeriesInstanceUID (dcm_qa_ts): each line shows its
    /// SeriesNumber, date and time (they all read "ax_asc_35sl", so the number is what tells them apart).
    func testInfoListsSeriesNumberDateAndTime() throws {
        let folder = try shared("B/dcm_qa_ts/In")
        let report = try InfoReport.make(path: folder, options: VolumeReadOptions())
        let series = try XCTUnwrap(report.series)
        XCTAssertEqual(series.count, 9)
        XCTAssertEqual(Set(series.compactMap(\.number)), Set(1...9))
        let text = report.text
        for n in 1...9 { XCTAssertTrue(text.contains("  #\(n)  MR"), "series #\(n) listed with its number") }
        XCTAssertTrue(text.contains("2014-03-10 13:49:39"), text)
    }

    /// `--precision` is parsed once, named in its errors; bf16 says it is not available.
    func testPrecisionOption() throws {
        let dir = try tempDir()
        let ct = Self.repoRoot.appendingPathComponent("SampleData/ct/example_ct_sm.nii.gz").path
        let out = dir.appendingPathComponent("x.nii.gz").path
        expectFailure(["segment", ct, "--box", "44,25,0,105,83,29", "--precision", "fp16", "-o", out], exit: 2,
                      naming: "--precision", fragment: "fp32, int8, bf16, auto", dir: dir)
        guard (try? ModelStore.resolve(modelOption: nil)) != nil else {
            print("skipped the bf16 part: the LiteMedSAM model is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM model is not installed")
        }
        expectFailure(["segment", ct, "--box", "44,25,0,105,83,29", "--precision", "bf16", "-o", out], exit: 2,
                      naming: "bf16", fragment: "use fp32, int8 or auto", dir: dir)
        // An int8 result says so: in the confidence report and in the DICOM SEG's algorithm version.
        let series = Self.repoRoot.appendingPathComponent("SampleData/dicom-ct3").path
        let seg = dir.appendingPathComponent("int8.dcm").path, report = dir.appendingPathComponent("int8.json").path
        try run(["segment", series, "--box", "79,145,0,350,366,2", "--name", "liver", "--label", "1", "--precision", "int8",
                 "--quiet", "-o", seg, "--confidence", report])
        let r = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        XCTAssertEqual(r["precision"] as? String, "int8")
        let version = try TestProcess.python("import sys, pydicom; s = pydicom.dcmread(sys.argv[1]).SegmentSequence[0]; print(s.SegmentationAlgorithmIdentificationSequence[0].AlgorithmVersion)",
                                             arguments: [seg])
        XCTAssertTrue(version.contains("int8"), version)
    }

    /// A structure corrected with a key box is SEMIAUTOMATIC in the DICOM SEG and RTSTRUCT; the others
    /// stay AUTOMATIC (issue 12, item 3).
    func testCorrectedStructuresAreSemiautomatic() throws {
        guard (try? ModelStore.resolve(modelOption: nil)) != nil else {
            print("skipped: the LiteMedSAM model is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM model is not installed")
        }
        let dir = try tempDir()
        let series = Self.repoRoot.appendingPathComponent("SampleData/dicom-ct3").path
        let boxes = ["--box", "79,145,0,350,366,2", "--name", "liver", "--label", "1", "--box", "150,150,0,250,250,2", "--name", "other", "--label", "2"]
        let seg = dir.appendingPathComponent("seg.dcm").path, rt = dir.appendingPathComponent("rt.dcm").path
        try run(["segment", series] + boxes + ["--key-box", "liver:1:90,150,340,360", "--quiet", "-o", seg])
        try run(["segment", series] + boxes + ["--key-box", "liver:1:90,150,340,360", "--quiet", "--output-format", "rtstruct", "-o", rt])
        let types = try TestProcess.python("""
            import sys, pydicom
            s = pydicom.dcmread(sys.argv[1])
            print(",".join(f"{x.SegmentLabel}={x.SegmentAlgorithmType}" for x in s.SegmentSequence))
            r = pydicom.dcmread(sys.argv[2])
            print(",".join(f"{x.ROIName}={x.ROIGenerationAlgorithm}" for x in r.StructureSetROISequence))
            """, arguments: [seg, rt])
        XCTAssertEqual(types.trimmingCharacters(in: .whitespacesAndNewlines), "liver=SEMIAUTOMATIC,other=AUTOMATIC\nliver=SEMIAUTOMATIC,other=AUTOMATIC")
    }

    /// A series anonymised with empty UIDs cannot be referenced by a SEG: the error says how to fix it.
    func testSEGOfASeriesWithoutUIDsSaysHowToFixIt() throws {
        let series = try shared("A/TotalSegmentator/tests/reference_files/example_ct_dicom")
        let labels = try shared("A/TotalSegmentator/tests/reference_files/example_seg_dicom.nii.gz")
        let dir = try tempDir()
        expectFailure(["export", labels, "--reference", series, "-o", dir.appendingPathComponent("seg.dcm").path], exit: 2,
                      naming: series, fragment: "dcmodify -nb -m", dir: dir)
    }
}
