import Foundation
import XCTest
import VoxSAMCore
import VoxSAMJob
import VoxSAMIO
import VoxSAMProtocol
@testable import VoxSAMBatch

final class ShardAndPromptsTests: XCTestCase {
    typealias S = BatchTestSupport

    func testShardAssignmentIsStableDisjointAndCovering() throws {
        let names = (0..<200).map { "study\($0)" }
        for n in [1, 2, 3, 7] {
            var seen = [String: Int]()
            for i in 0..<n {
                let shard = ShardSpec(index: i, count: n)
                for s in names where shard.contains(study: s) {
                    XCTAssertNil(seen[s], "\(s) in two shards"); seen[s] = i
                }
            }
            XCTAssertEqual(seen.count, names.count)
            if n > 1 { XCTAssertTrue(Set(seen.values).count == n, "every shard gets studies") }
        }
        // Stable: the first 8 bytes of SHA-256("ct3slice") decide, on every machine.
        let d = SHA256.digest(of: Array("ct3slice".utf8))
        let v = d.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        XCTAssertEqual(ShardSpec.shard(ofStudy: "ct3slice", count: 5), Int(v % 5))
    }

    func testShardFromOptionAndEnvironment() throws {
        XCTAssertEqual(try ShardSpec.resolve(option: "1/4", shardCount: nil, environment: ["SLURM_ARRAY_TASK_ID": "3"]), ShardSpec(index: 1, count: 4))
        XCTAssertEqual(try ShardSpec.resolve(option: nil, shardCount: nil, environment: [:]), .whole)
        XCTAssertEqual(try ShardSpec.resolve(option: nil, shardCount: nil,
                                             environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"]), ShardSpec(index: 2, count: 3))
        XCTAssertEqual(try ShardSpec.resolve(option: nil, shardCount: nil,
                                             environment: ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "2"]),
                       ShardSpec(index: 1, count: 2))
        XCTAssertEqual(try ShardSpec.resolve(option: nil, shardCount: 4, environment: ["JOB_COMPLETION_INDEX": "3"]), ShardSpec(index: 3, count: 4))
        XCTAssertEqual(try ShardSpec.resolve(option: nil, shardCount: nil, environment: ["JOB_COMPLETION_INDEX": "0", "VOXSAM_SHARD_COUNT": "2"]),
                       ShardSpec(index: 0, count: 2))
        XCTAssertThrowsError(try ShardSpec.resolve(option: nil, shardCount: nil, environment: ["JOB_COMPLETION_INDEX": "0"]))
        for bad in ["2/2", "-1/2", "1", "a/b", "0/0"] { XCTAssertThrowsError(try ShardSpec.parse(bad), bad) }
    }

    func testCSVPrompts() throws {
        let root = try S.temporaryFolder(self)
        try S.write("""
            study,series,name,label,box,box_mm,from_mask,mask_label,key_slice
            ct1,,liver,1,"44,25,12,105,83,15",,,,13
            ct1,,spleen,2,,147.9 -77.3 133.3 75.9 -173.3 139.3,,,
            mr,1.2.3,,,,,masks/m.nrrd,2,
            npz,,,,,,,,
            """, to: root + "/p.csv")
        let p = try PromptsFile.load(path: root + "/p.csv")
        XCTAssertEqual(p.studies.keys.sorted(), ["ct1", "mr", "npz"])
        let ct = try XCTUnwrap(p.studies["ct1"])
        XCTAssertEqual(ct.objects.count, 2)
        XCTAssertEqual(ct.objects[0].box, [44, 25, 12, 105, 83, 15])
        XCTAssertEqual(ct.objects[0].keySlice, 13)
        XCTAssertEqual(ct.objects[1].boxMM?.count, 6)
        XCTAssertEqual(p.studies["mr"]?.series, "1.2.3")
        XCTAssertEqual(p.studies["mr"]?.objects.first?.maskLabel, 2)
        XCTAssertEqual(p.resolve(maskPath: "masks/m.nrrd"), URL(fileURLWithPath: root + "/masks/m.nrrd").standardizedFileURL.path)
        XCTAssertEqual(p.studies["npz"]?.objects, [])

        try S.write("study,name,box\nct1,liver,\"1,2,3\"\n", to: root + "/bad.csv")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/bad.csv")) { e in
            XCTAssertTrue("\(e)".contains("bad.csv:2: box:"), "\(e)")
        }
        try S.write("study,nmae\nct1,liver\n", to: root + "/bad2.csv")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/bad2.csv")) { e in
            XCTAssertTrue("\(e)".contains("unknown column `nmae`"), "\(e)")
        }
        try S.write("study,box,from_mask\nct1,\"1,2,3,4,5,6\",m.nrrd\n", to: root + "/bad3.csv")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/bad3.csv"))
        try S.write("study,box,mask_label\nct1,\"1,2,3,4,5,6\",3\n", to: root + "/bad4.csv")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/bad4.csv")) { e in XCTAssertTrue("\(e)".contains("mask_label"), "\(e)") }
    }

    /// A prompts file cannot make VoxSAM read files outside its folder: no `..` out of it, and absolute
    /// mask paths only with --allow-absolute-data-file.
    func testMaskPathsStayBelowThePromptsFolder() throws {
        let root = try S.temporaryFolder(self)
        try S.write("study,from_mask\nct1,masks/../m.nrrd\n", to: root + "/ok.csv")
        XCTAssertNoThrow(try PromptsFile.load(path: root + "/ok.csv"))
        try S.write("study,from_mask\nct1,../../etc/passwd\n", to: root + "/up.csv")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/up.csv")) { e in
            XCTAssertTrue("\(e)".contains("leads out of the prompts file's folder"), "\(e)")
            XCTAssertTrue("\(e)".contains("up.csv:2"), "\(e)")
        }
        try S.write("study,from_mask\nct1,/etc/passwd\n", to: root + "/abs.csv")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/abs.csv")) { e in
            XCTAssertTrue("\(e)".contains("--allow-absolute-data-file"), "\(e)")
        }
        XCTAssertNoThrow(try PromptsFile.load(path: root + "/abs.csv", allowAbsolutePaths: true))
    }

    func testJSONPrompts() throws {
        let root = try S.temporaryFolder(self)
        try S.write(#"{"studies": {"b": {"objects": [{"name": "x", "label": 3, "box": [1, 2, 3, 4, 5, 6], "color": [1, 2, 3]}]}, "a": {"series": "9"}}}"#,
                    to: root + "/p.json")
        let p = try PromptsFile.load(path: root + "/p.json")
        XCTAssertEqual(p.studies["b"]?.objects.first?.label, 3)
        XCTAssertEqual(p.studies["b"]?.objects.first?.color, [1, 2, 3])
        XCTAssertEqual(p.studies["a"]?.series, "9")
        try S.write(#"{"studies": [{"study": "a", "objects": [{"box": [1, 2, 3]}]}]}"#, to: root + "/bad.json")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/bad.json")) { e in
            XCTAssertTrue("\(e)".contains("studies[0].objects[0].box"), "\(e)")
        }
        try S.write(#"{"studies": [{"study": "../x", "objects": []}]}"#, to: root + "/bad2.json")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/bad2.json"))
        try S.write(#"{"studies": [{"study": "a", "objects": [{"boks": [1, 2, 3, 4, 5, 6]}]}]}"#, to: root + "/bad3.json")
        XCTAssertThrowsError(try PromptsFile.load(path: root + "/bad3.json")) { e in XCTAssertTrue("\(e)".contains("boks"), "\(e)") }
    }

    func testStudyDiscoveryAndImageChoice() throws {
        let root = try S.temporaryFolder(self)
        try S.write("x", to: root + "/one.nii.gz")
        try S.write("x", to: root + "/folder/ct.nrrd")
        try S.write("x", to: root + "/folder/ct_seg.nrrd")
        try S.write("x", to: root + "/two/a.nii")
        try S.write("x", to: root + "/two/b.nii")
        try S.write("x", to: root + "/dicom/1.dcm")
        try S.write("notes", to: root + "/README.txt")
        try S.write("x", to: root + "/.hidden/a.nii")
        let studies = try Study.discover(in: root)
        XCTAssertEqual(studies.map(\.name), ["dicom", "folder", "one", "two"])
        XCTAssertEqual(try studies[1].imagePath(prompted: nil), root + "/folder/ct.nrrd", "the mask-named file is passed over")
        XCTAssertEqual(try studies[2].imagePath(prompted: nil), root + "/one.nii.gz")
        XCTAssertThrowsError(try studies[3].imagePath(prompted: nil)) { e in XCTAssertTrue("\(e)".contains("several images"), "\(e)") }
        XCTAssertEqual(try studies[3].imagePath(prompted: "b.nii"), root + "/two/b.nii")
        XCTAssertEqual(try studies[0].imagePath(prompted: nil), root + "/dicom")
        XCTAssertEqual(studies[1].files().map { ($0 as NSString).lastPathComponent }, ["ct.nrrd", "ct_seg.nrrd"])
        try S.write("x", to: root + "/one/a.nii")
        XCTAssertThrowsError(try Study.discover(in: root)) { e in XCTAssertTrue("\(e)".contains("`one`"), "\(e)") }
    }

    func testManifestStoreRepairsAndMerges() throws {
        let root = try S.temporaryFolder(self)
        let store = ManifestStore(outputDirectory: root)
        let file = try store.shardFile(ShardSpec(index: 0, count: 2))
        func rec(_ study: String, _ status: ManifestRecord.Status, _ at: String) -> ManifestRecord {
            ManifestRecord(study: study, status: status, error: status == .failed ? "bad, \"broken\"" : nil, key: "k", image: nil, series: nil,
                           inputs: [], prompts: nil, masks: [], protocolName: nil, protocolSHA256: nil, modelSHA256: "m",
                           settings: BatchSettings(segmentation: JobSettings(), outputs: [.labelMap(.nifti)]),
                           outputs: [], objects: [], encoderCalls: nil, timings: nil, shard: "0/2", host: "h", pid: 1,
                           startedAt: at, finishedAt: at)
        }
        try store.append(rec("b", .failed, "2026-01-01T00:00:01Z"), to: file)
        try store.append(rec("a", .done, "2026-01-01T00:00:02Z"), to: file)
        try store.append(rec("b", .done, "2026-01-01T00:00:03Z"), to: file)
        let other = try store.shardFile(ShardSpec(index: 1, count: 2))
        try store.append(rec("c", .skipped, "2026-01-01T00:00:00Z"), to: other)
        // A line cut short by a kill is ignored when reading and removed before appending.
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: other))
        h.seekToEndOfFile(); h.write(Data(#"{"study":"d""#.utf8)); try h.close()
        XCTAssertEqual(store.records().count, 4)
        _ = try store.shardFile(ShardSpec(index: 1, count: 2))
        XCTAssertTrue(try String(contentsOfFile: other, encoding: .utf8).hasSuffix("}\n"))
        let merged = try store.merge()
        XCTAssertEqual(merged.map(\.study), ["a", "b", "c"])
        XCTAssertEqual(merged.map(\.status), [.done, .done, .skipped], "the latest record of b wins")
        let csv = try String(contentsOfFile: store.summaryPath, encoding: .utf8)
        XCTAssertTrue(csv.contains("c,skipped,"), csv)
    }
}
