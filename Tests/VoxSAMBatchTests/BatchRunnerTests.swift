import Foundation
import XCTest
import VoxSAMCore
import VoxSAMJob
import VoxSAMIO
import VoxSAMProtocol
@testable import VoxSAMBatch

/// Batch logic with a stand-in model on synthetic studies: failures, skips, resume, changed inputs,
/// shards and the manifest. (The real model on real data: RealBatchTests and scripts/batch-acceptance.sh.)
final class BatchRunnerTests: XCTestCase {
    typealias S = BatchTestSupport

    /// studies/a.nii.gz, studies/b/image.nrrd, studies/c (corrupt), studies/d (no prompts), studies/e.npz-less folder.
    func makeBatch(_ root: String) throws -> (studies: String, prompts: String) {
        let studies = (root as NSString).appendingPathComponent("studies")
        for d in ["b", "c", "d"] { try FileManager.default.createDirectory(atPath: studies + "/" + d, withIntermediateDirectories: true) }
        try VolumeWriter.write(S.syntheticVolume(), to: studies + "/a.nii.gz")
        try VolumeWriter.write(S.syntheticVolume(seed: 1), to: studies + "/b/image.nrrd")
        try S.write("not a volume", to: studies + "/c/broken.nii.gz")
        try VolumeWriter.write(S.syntheticVolume(seed: 2), to: studies + "/d/x.nii")
        for n in 0..<4 { try VolumeWriter.write(S.syntheticVolume(seed: Int16(3 + n)), to: studies + "/s\(n).nii.gz") }
        let prompts = (root as NSString).appendingPathComponent("prompts.json")
        var entries = [
            #"{"study": "a", "objects": [{"name": "liver", "label": 1, "box": [6, 4, 1, 22, 18, 4]}]}"#,
            #"{"study": "b", "objects": [{"name": "spleen", "label": 2, "box_mm": [6, 4, 2, 22, 18, 8]}]}"#,
            #"{"study": "c", "objects": [{"name": "liver", "box": [1, 1, 1, 5, 5, 2]}]}"#,
            #"{"study": "ghost", "objects": [{"name": "liver", "box": [1, 1, 1, 5, 5, 2]}]}"#,
        ]
        for n in 0..<4 { entries.append(#"{"study": "s\#(n)", "objects": [{"name": "liver", "label": 1, "box": [6, 4, 2, 22, 18, 3]}]}"#) }
        try S.write("{\"studies\": [\n" + entries.joined(separator: ",\n") + "\n]}", to: prompts)
        return (studies, prompts)
    }

    func config(_ b: (studies: String, prompts: String), out: String, shard: ShardSpec = .whole, resume: Bool = false,
                jobs: Int = 2, proto: SegmentationProtocol? = nil) throws -> BatchConfiguration {
        BatchConfiguration(studiesDirectory: b.studies, outputDirectory: out, prompts: try PromptsFile.load(path: b.prompts),
                           segmentationProtocol: proto,
                           settings: BatchSettings(segmentation: JobSettings(window: .ctDefault), outputs: [.labelMap(.nifti), .confidenceJSON, .qaPNG]),
                           shard: shard, jobs: jobs, resume: resume, modelSHA256: "test-model", modelFileName: "threshold")
    }

    func testBatchRecordsFailuresAndGoesOn() throws {
        let root = try S.temporaryFolder(self)
        let b = try makeBatch(root)
        let out = root + "/out"
        var lines: [String] = []
        let report = try BatchRunner(config: try config(b, out: out), model: ThresholdModel(), log: { lines.append($0) }).run()
        XCTAssertEqual(report.studies, 8)
        XCTAssertEqual(report.done, 6)
        XCTAssertEqual(report.failed, ["c"])
        XCTAssertEqual(report.skipped, 1)
        XCTAssertTrue(lines.contains { $0.contains("`ghost`") }, "unknown study in the prompts is reported")
        let byStudy = Dictionary(uniqueKeysWithValues: report.merged.map { ($0.study, $0) })
        XCTAssertEqual(byStudy["c"]?.status, .failed)
        XCTAssertTrue(byStudy["c"]?.error?.contains("broken.nii.gz") == true, byStudy["c"]?.error ?? "")
        XCTAssertEqual(byStudy["d"]?.status, .skipped)
        let a = try XCTUnwrap(byStudy["a"])
        XCTAssertEqual(a.outputs.map(\.path), ["a/labels.nii.gz", "a/labels.labels.json", "a/labels.itksnap.txt", "a/confidence.json", "a/qa.png"])
        XCTAssertEqual(a.inputs.map(\.path), ["a.nii.gz"])
        XCTAssertEqual(a.objects.first?.voxels, 12 * 10 * 4, "the bright block on slices 1…4")
        XCTAssertEqual(a.objects.first?.volumeML ?? 0, 12 * 10 * 4 * 2 / 1000, accuracy: 1e-9)
        XCTAssertEqual(byStudy["b"]?.objects.first?.label, 2)
        XCTAssertEqual(a.modelSHA256, "test-model")
        XCTAssertEqual(a.inputs[0].sha256, try SHA256.hex(ofFile: b.studies + "/a.nii.gz"))
        // The label map is on the image's grid and holds the label.
        let labels = try VolumeReader.read(path: out + "/a/labels.nii.gz")
        XCTAssertEqual(labels.size, SIMD3(32, 24, 6))
        XCTAssertEqual(labels.voxels.labelValues.filter { $0 == 1 }.count, 480)
        // manifest.jsonl: one line per study, sorted; summary.csv: one row per object or study.
        let manifest = try String(contentsOfFile: out + "/manifest.jsonl", encoding: .utf8)
        XCTAssertEqual(manifest.split(separator: "\n").count, 8)
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(summary.first.map(String.init), BatchSummary.header)
        XCTAssertEqual(summary.count, 9)
        XCTAssertTrue(summary.contains { $0.hasPrefix("c,failed,") })
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/.staging"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/c"), "a failed study has no output folder")
    }

    func testResumeSkipsUnchangedAndRedoesChangedInputs() throws {
        let root = try S.temporaryFolder(self)
        let b = try makeBatch(root)
        let out = root + "/out"
        _ = try BatchRunner(config: try config(b, out: out), model: ThresholdModel()).run()
        let before = try S.digest(out)

        let model = ThresholdModel()
        let again = try BatchRunner(config: try config(b, out: out, resume: true), model: model).run()
        XCTAssertEqual(again.upToDate, 6)
        XCTAssertEqual(again.done, 0)
        XCTAssertEqual(again.failed, ["c"], "failed studies are retried")
        XCTAssertEqual(model.embedCalls, 0)
        XCTAssertEqual(try S.digest(out), before)

        // Change one input: only that study is redone.
        try VolumeWriter.write(S.syntheticVolume(seed: 9), to: b.studies + "/s1.nii.gz")
        let changed = try BatchRunner(config: try config(b, out: out, resume: true), model: ThresholdModel()).run()
        XCTAssertEqual(changed.done, 1)
        XCTAssertEqual(changed.upToDate, 5)
        // A deleted output is redone too.
        try FileManager.default.removeItem(atPath: out + "/a/qa.png")
        let repaired = try BatchRunner(config: try config(b, out: out, resume: true), model: ThresholdModel()).run()
        XCTAssertEqual(repaired.done, 1)
        XCTAssertEqual(try S.digest(out)["a/qa.png"], before["a/qa.png"])
        // Other settings: everything is redone.
        var c = try config(b, out: out, resume: true)
        c.settings.segmentation.lowConfidence = 0.5
        XCTAssertEqual(try BatchRunner(config: c, model: ThresholdModel()).run().done, 6)
    }

    func testShardsTogetherEqualOneRun() throws {
        let root = try S.temporaryFolder(self)
        let b = try makeBatch(root)
        let whole = try BatchRunner(config: try config(b, out: root + "/whole"), model: ThresholdModel()).run()
        var doneInShards = 0
        for i in 0..<3 {
            let r = try BatchRunner(config: try config(b, out: root + "/sharded", shard: ShardSpec(index: i, count: 3), jobs: 1),
                                    model: ThresholdModel()).run()
            doneInShards += r.done
        }
        XCTAssertEqual(doneInShards, whole.done)
        XCTAssertEqual(try S.digest(root + "/sharded"), try S.digest(root + "/whole"))
        let merged = try ManifestStore(outputDirectory: root + "/sharded").merge()
        XCTAssertEqual(merged.map(\.study), whole.merged.map(\.study))
        XCTAssertEqual(merged.map(\.key), whole.merged.map(\.key))
        XCTAssertEqual(Set(merged.map(\.shard)).count, 3)
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/sharded/manifests").filter { $0.hasSuffix(".jsonl") }.sorted()
        XCTAssertEqual(files, ["shard-0-of-3.jsonl", "shard-1-of-3.jsonl", "shard-2-of-3.jsonl"])
    }

    func testLeftoversOfAKilledRunAreCleanedUp() throws {
        let root = try S.temporaryFolder(self)
        let b = try makeBatch(root)
        let out = root + "/out"
        _ = try BatchRunner(config: try config(b, out: out), model: ThresholdModel()).run()
        // What a SIGKILL can leave: a staging folder, a half-written temporary file, a cut manifest line,
        // a study folder whose record never got written.
        // (a staging folder of this host whose process is gone: pid 2147483647 never runs)
        try S.write("partial", to: out + "/.staging/s0/\(ProcessInfo.processInfo.hostName).2147483647.xyz/labels.nii.gz")
        try S.write("partial", to: out + "/s0/.labels.voxsam-tmp-123-abc.nii.gz")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out + "/manifests/shard-0-of-1.jsonl"))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"study":"a","status":"do"#.utf8))
        try handle.close()
        try FileManager.default.removeItem(atPath: out + "/s2/confidence.json")
        let r = try BatchRunner(config: try config(b, out: out, resume: true), model: ThresholdModel()).run()
        XCTAssertEqual(r.done, 1, "only s2 (missing output) is redone")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/.staging"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/s0/.labels.voxsam-tmp-123-abc.nii.gz"))
        let lines = try String(contentsOfFile: out + "/manifests/shard-0-of-1.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { (try? JSONDecoder().decode(ManifestRecord.self, from: Data($0.utf8))) != nil }, "the cut line was dropped")
    }

    func testProtocolNamesAndLabels() throws {
        let root = try S.temporaryFolder(self)
        let b = try makeBatch(root)
        let proto = try SegmentationProtocol.parse("""
            name: t
            modality: CT
            outputs: [nrrd, confidence-csv]
            structures:
              - {name: liver, label: 1}
              - {name: spleen, label: 2}
            """, path: "t.yaml")
        var c = try config(b, out: root + "/out", proto: proto)
        c.settings.outputs = proto.outputs
        let r = try BatchRunner(config: c, model: ThresholdModel()).run()
        XCTAssertEqual(r.done, 6)
        let a = try XCTUnwrap(r.merged.first { $0.study == "a" })
        XCTAssertEqual(a.outputs.map(\.path), ["a/labels.nrrd", "a/labels.labels.json", "a/labels.itksnap.txt", "a/confidence.csv"])
        XCTAssertEqual(a.protocolName, "t")
        // A label the protocol lacks fails that study only.
        try S.write(#"{"studies": [{"study": "a", "objects": [{"name": "kidney", "label": 7, "box": [6, 4, 1, 22, 18, 4]}]}]}"#, to: root + "/p2.json")
        var c2 = c
        c2.prompts = try PromptsFile.load(path: root + "/p2.json")
        let r2 = try BatchRunner(config: c2, model: ThresholdModel()).run()
        XCTAssertEqual(r2.failed, ["a"])
        XCTAssertTrue(r2.merged.first { $0.study == "a" }?.error?.contains("does not define") == true)
    }

    func testExportOutputsGoThroughTheExporter() throws {
        let root = try S.temporaryFolder(self)
        let b = try makeBatch(root)
        let proto = try SegmentationProtocol.parse("""
            name: t
            modality: CT
            outputs: [nifti, seg-nrrd]
            structures:
              - {name: liver, label: 1}
              - {name: spleen, label: 2}
            """, path: "t.yaml")
        var c = try config(b, out: root + "/out", proto: proto)
        c.settings.outputs = proto.outputs
        let r = try BatchRunner(config: c, model: ThresholdModel()).run()
        XCTAssertEqual(r.done, 6)
        let segNRRD = try String(decoding: Data(contentsOf: URL(fileURLWithPath: root + "/out/a/labels.seg.nrrd")).prefix(4000), as: UTF8.self)
        XCTAssertTrue(segNRRD.contains("liver"), "Slicer segment named from the protocol")
        XCTAssertTrue(segNRRD.contains("10200004"), "SNOMED CT code of the liver")
        // DICOM SEG needs a DICOM study: a NIfTI study writes what it can (the NIfTI) and records the
        // skipped format with the reason. (It once failed whole, with no outputs.)
        c.settings.outputs = [.labelMap(.nifti), .labelMap(.dicomSEG), .confidenceJSON]
        let r2 = try BatchRunner(config: c, model: ThresholdModel()).run()
        XCTAssertEqual(r2.done, 6)
        let a = try XCTUnwrap(r2.merged.first { $0.study == "a" })
        XCTAssertEqual(a.status, .done)
        XCTAssertEqual(Set(a.outputs.map(\.path)), ["a/labels.nii.gz", "a/labels.labels.json", "a/labels.itksnap.txt", "a/confidence.json"])
        let skipped = try XCTUnwrap(a.skippedOutputs)
        XCTAssertEqual(skipped.map(\.format), ["dicom-seg"])
        XCTAssertEqual(skipped.map(\.file), ["seg.dcm"])
        XCTAssertTrue(skipped[0].reason.contains("not a DICOM series"), skipped[0].reason)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/out/a/seg.dcm"))
        let manifest = try String(contentsOfFile: root + "/out/manifest.jsonl", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"skipped_outputs\""), "recorded in the manifest")
        // Only formats the study cannot give: it fails with every reason, and the previous good outputs
        // stay, byte-identical, listed in the failed record.
        let before = try S.digest(root + "/out/a")
        c.settings.outputs = [.labelMap(.dicomSEG), .labelMap(.rtstruct)]
        let r3 = try BatchRunner(config: c, model: ThresholdModel()).run()
        XCTAssertEqual(r3.done, 0)
        let failed = try XCTUnwrap(r3.merged.first { $0.study == "a" })
        XCTAssertEqual(failed.status, .failed)
        XCTAssertTrue(failed.error?.contains("none of the requested outputs") == true, failed.error ?? "")
        XCTAssertTrue(failed.error?.contains("previous outputs") == true, failed.error ?? "")
        XCTAssertEqual(Set(failed.outputs.map(\.path)), Set(before.keys.map { "a/" + $0 }))
        XCTAssertEqual(try S.digest(root + "/out/a"), before, "a failed rerun keeps the previous good outputs")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/out/.staging"))
    }

    /// Two unsharded batches on one output folder: the second fails at once naming the first's pid
    /// (they would redo and replace the same studies); shards share the folder.
    func testASecondUnshardedBatchOnTheSameFolderIsRefused() throws {
        let root = try S.temporaryFolder(self)
        let b = try makeBatch(root)
        let out = root + "/out"
        var held: BatchFolderLock? = try BatchFolderLock(store: ManifestStore(outputDirectory: out), exclusive: true)
        XCTAssertNotNil(held)
        XCTAssertThrowsError(try BatchRunner(config: try config(b, out: out), model: ThresholdModel()).run()) { e in
            XCTAssertEqual((e as? VoxSAMError)?.code, .writeFailed)
            XCTAssertTrue("\(e)".contains("another voxsam batch (pid \(getpid())"), "\(e)")
        }
        XCTAssertThrowsError(try BatchRunner(config: try config(b, out: out, shard: try ShardSpec.parse("0/2")), model: ThresholdModel()).run(),
                             "a shard does not run beside an unsharded batch either")
        held = nil  // released: shards may now run together
        let r = try BatchRunner(config: try config(b, out: out, shard: try ShardSpec.parse("0/2")), model: ThresholdModel()).run()
        let r2 = try BatchRunner(config: try config(b, out: out, shard: try ShardSpec.parse("1/2")), model: ThresholdModel()).run()
        XCTAssertEqual(r.studies + r2.studies, 8)
    }

    /// Finished work is never deleted: a prompts file that leaves studies out keeps their outputs
    /// (only --prune removes them).
    func testStudiesLeftOutOfThePromptsKeepTheirOutputs() throws {
        let root = try S.temporaryFolder(self)
        let b = try makeBatch(root)
        let out = root + "/out"
        XCTAssertEqual(try BatchRunner(config: try config(b, out: out), model: ThresholdModel()).run().done, 6)
        let before = try S.digest(out)
        let only = (root as NSString).appendingPathComponent("only-a.json")
        try S.write(#"{"studies": [{"study": "a", "objects": [{"name": "liver", "label": 1, "box": [6, 4, 1, 22, 18, 4]}]}]}"#, to: only)
        var lines: [String] = []
        let r = try BatchRunner(config: try config((b.studies, only), out: out, resume: true), model: ThresholdModel(), log: { lines.append($0) }).run()
        XCTAssertEqual(r.upToDate, 1)
        for s in ["b", "s0", "s1", "s2", "s3"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(s)/labels.nii.gz"), "\(s) kept")
        }
        XCTAssertTrue(lines.contains { $0.contains("previous outputs are kept") }, lines.joined(separator: "\n"))
        let after = try S.digest(out).filter { !$0.key.hasPrefix("manifest") && !$0.key.hasPrefix("summary") }
        XCTAssertEqual(after, before.filter { !$0.key.hasPrefix("manifest") && !$0.key.hasPrefix("summary") })
        let merged = Dictionary(uniqueKeysWithValues: r.merged.map { ($0.study, $0.status) })
        XCTAssertEqual(merged["b"], .done, "the manifest still lists the kept outputs")
        // --prune removes them deliberately.
        var c = try config((b.studies, only), out: out, resume: true)
        c.prune = true
        _ = try BatchRunner(config: c, model: ThresholdModel()).run()
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/b"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/a/labels.nii.gz"))
    }

}
