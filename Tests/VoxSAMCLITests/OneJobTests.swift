import Foundation
import VoxSAMCore
import VoxSAMTestSupport
import XCTest
@testable import VoxSAMCLI

/// `voxsam segment` and `voxsam batch` call the same job: for the same input and prompts they write
/// the same files.
final class OneJobTests: XCTestCase {
    func run(_ args: [String]) throws {
        var c = try VoxSAMCommand.parseAsRoot(args)
        try c.run()
    }

    func testSegmentAndAOneStudyBatchWriteTheSameFiles() throws {
        guard (try? ModelCheck.installed()) == true else {
            print("skipped: the LiteMedSAM checkpoint is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM checkpoint is not installed")
        }
        let root = try TestData.temporaryFolder(self)
        let studies = root.appendingPathComponent("studies")
        try FileManager.default.createDirectory(at: studies.appendingPathComponent("case1"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestData.sampleData.appendingPathComponent("ct/example_ct_sm.nii.gz").path,
                                         toPath: studies.appendingPathComponent("case1/ct.nii.gz").path)
        let prompts = root.appendingPathComponent("prompts.json").path
        try Data(#"{"studies": [{"study": "case1", "objects": [{"name": "liver", "label": 1, "box": [44, 25, 11, 105, 83, 17]}, {"name": "spleen", "label": 2, "box": [10, 22, 12, 34, 54, 15]}]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: prompts))
        let batchOut = root.appendingPathComponent("batch").path
        try run(["batch", studies.path, "--prompts", prompts, "--output", batchOut, "--outputs", "nifti,confidence-json,qa-png", "--quiet"])

        // segment from the studies folder, so that the report records the same input path.
        let segOut = root.appendingPathComponent("segment")
        try FileManager.default.createDirectory(at: segOut, withIntermediateDirectories: true)
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(studies.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        try run(["segment", "case1/ct.nii.gz", "--box", "44,25,11,105,83,17", "--name", "liver", "--label", "1",
                 "--box", "10,22,12,34,54,15", "--name", "spleen", "--label", "2",
                 "-o", segOut.appendingPathComponent("labels.nii.gz").path,
                 "--confidence", segOut.appendingPathComponent("confidence.json").path,
                 "--qa", segOut.appendingPathComponent("qa.png").path, "--quiet"])

        let batchFiles = TestData.listing(URL(fileURLWithPath: batchOut).appendingPathComponent("case1"))
        XCTAssertEqual(batchFiles, TestData.listing(segOut), "the same files, sidecars included")
        XCTAssertEqual(Set(batchFiles), ["labels.nii.gz", "labels.labels.json", "labels.itksnap.txt", "confidence.json", "qa.png"])
        for f in ["labels.nii.gz", "labels.labels.json", "labels.itksnap.txt", "qa.png"] {
            XCTAssertEqual(try SHA256.hex(ofFile: batchOut + "/case1/" + f), try SHA256.hex(ofFile: segOut.appendingPathComponent(f).path),
                           "\(f) byte-identical")
        }
        func report(_ path: String) throws -> NSDictionary {
            let d = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            return d.filter { $0.key != "seconds" } as NSDictionary
        }
        XCTAssertEqual(try report(batchOut + "/case1/confidence.json"), try report(segOut.appendingPathComponent("confidence.json").path),
                       "confidence reports equal apart from timings")
        XCTAssertEqual(try report(batchOut + "/case1/confidence.json")["window"] as? String, "400,40", "the window is recorded")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for r in [try report(batchOut + "/case1/confidence.json"), try report(segOut.appendingPathComponent("confidence.json").path)] {
            XCTAssertEqual(r["threads"] as? Int, cores, "segment and batch run the model on every core by default")
            XCTAssertEqual(r["threads_used"] as? Int, cores, "propagation used every thread it was given")
        }
    }

    /// The thread count is decided once at start-up and the model runs on it: by default every core,
    /// `--threads 1` one. (Once a lazily initialised global made every command but the benchmark run
    /// on one thread.) `threads_used` is measured: the most workers that ran at the same moment.
    func testPropagationRunsOnTheThreadsItWasGiven() throws {
        guard (try? ModelCheck.installed()) == true else {
            print("skipped: the LiteMedSAM checkpoint is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM checkpoint is not installed")
        }
        XCTAssertNil(ProcessInfo.processInfo.environment["VOXSAM_THREADS"], "the test needs the default thread count")
        let root = try TestData.temporaryFolder(self)
        let series = TestData.sampleData.appendingPathComponent("dicom-ct3").path
        func threads(_ extra: [String]) throws -> (Int?, Int?) {
            let out = root.appendingPathComponent("run\(extra.count)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try run(["segment", series, "--box", "79,145,0,350,366,2", "--name", "liver", "--label", "1",
                     "-o", out.appendingPathComponent("seg.nii.gz").path,
                     "--confidence", out.appendingPathComponent("c.json").path, "--quiet"] + extra)
            let d = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("c.json"))) as? [String: Any])
            XCTAssertEqual(d["precision"] as? String, "fp32", "the report says which arithmetic ran")
            return (d["threads"] as? Int, d["threads_used"] as? Int)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let (given, used) = try threads([])
        XCTAssertEqual(given, cores)
        XCTAssertEqual(used, cores, "propagation ran on fewer threads than configured")
        let (given1, used1) = try threads(["--threads", "1"])
        XCTAssertEqual(given1, 1)
        XCTAssertEqual(used1, 1)
    }
}
