import Foundation
import VoxSAMCore
import VoxSAMTestSupport
import XCTest
@testable import VoxSAMCLI

/// `voxsam refine` on the command line: a correction gives the same files as `voxsam segment` with
/// the corrected prompts, computes only what can change (nothing is encoded again with the earlier
/// cache), never replaces a file without --force, and refuses another image, a label map of another
/// run, an old report, unknown objects and key boxes — before any work, with the old outputs intact.
final class RefineCLITests: XCTestCase {
    func run(_ args: [String]) throws {
        var c = try VoxSAMCommand.parseAsRoot(args)
        try c.run()
    }

    func testRefineEqualsSegmentWithTheCorrectedPromptsAndRefusesWhatItCannotTrust() throws {
        guard (try? ModelCheck.installed()) == true else {
            print("skipped: the LiteMedSAM checkpoint is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM checkpoint is not installed")
        }
        let root = try TestData.temporaryFolder(self)
        let ct = root.appendingPathComponent("ct.nii.gz").path
        try FileManager.default.copyItem(atPath: TestData.sampleData.appendingPathComponent("ct/example_ct_sm.nii.gz").path, toPath: ct)
        let cache = root.appendingPathComponent("cache").path
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let boxes = ["--box", "44,25,11,105,83,17", "--name", "liver", "--label", "1", "--box", "10,22,12,34,54,15", "--name", "spleen", "--label", "2"]
        try run(["segment", ct] + boxes + ["-o", path("a.nii.gz"), "--confidence", path("a.json"), "--cache", cache, "--quiet"])

        // A correction above the liver's start slice (14): refine = segment with the key box.
        let keyBox = "liver:16:50,30,100,80"
        try run(["refine", path("a.json"), "--key-box", keyBox, "-o", path("b.nii.gz"), "--confidence", path("b.json"), "--cache", cache, "--quiet"])
        try run(["segment", ct] + boxes + ["--key-box", keyBox, "-o", path("c.nii.gz"), "--confidence", path("c.json"), "--quiet"])
        XCTAssertEqual(try SHA256.hex(ofFile: path("b.nii.gz")), try SHA256.hex(ofFile: path("c.nii.gz")), "refine writes segment's label map")
        XCTAssertEqual(try String(contentsOfFile: path("b.labels.json")).replacingOccurrences(of: "b.nii.gz", with: "c.nii.gz"),
                       try String(contentsOfFile: path("c.labels.json")), "the same label names and colours")
        let b = try report(path("b.json")), c = try report(path("c.json"))
        func comparable(_ d: [String: Any]) -> NSDictionary {
            d.filter { !["seconds", "encoder_calls", "cache_hits", "label_maps"].contains($0.key) } as NSDictionary
        }
        XCTAssertEqual(comparable(b), comparable(c), "the reports agree apart from the work done")
        XCTAssertEqual(b["encoder_calls"] as? Int, 0, "with the earlier cache nothing is encoded again")
        XCTAssertLessThan(try XCTUnwrap(b["cache_hits"] as? Int), try XCTUnwrap(c["encoder_calls"] as? Int), "only slices that can change are computed")
        XCTAssertEqual(b["label_maps"] as? [String], ["b.nii.gz"])

        // Removing the key box again gives the first result.
        try run(["refine", path("b.json"), "--remove-key-box", "liver:16", "-o", path("d.nii.gz"), "--confidence", path("d.json"), "--cache", cache, "--quiet"])
        XCTAssertEqual(try SHA256.hex(ofFile: path("d.nii.gz")), try SHA256.hex(ofFile: path("a.nii.gz")))

        // No replacing without --force; the old file stays byte-identical.
        let before = try SHA256.hex(ofFile: path("b.nii.gz"))
        TestData.assertError(.invalidArgument, mentioning: "exists", "--force", path: path("b.nii.gz")) {
            try run(["refine", path("a.json"), "--remove", "spleen", "-o", path("b.nii.gz"), "--cache", cache, "--quiet"])
        }
        XCTAssertEqual(try SHA256.hex(ofFile: path("b.nii.gz")), before)
        try run(["refine", path("a.json"), "--remove", "spleen", "-o", path("b.nii.gz"), "--cache", cache, "--quiet", "--force"])
        XCTAssertNotEqual(try SHA256.hex(ofFile: path("b.nii.gz")), before)

        // What it cannot trust, each refused with one line before any work (no output appears).
        let out = path("e.nii.gz")
        TestData.assertError(.invalidArgument, mentioning: "no object named `kidney`", "liver, spleen") {
            try run(["refine", path("a.json"), "--key-box", "kidney:14:50,30,100,80", "-o", out, "--quiet"])
        }
        TestData.assertError(.invalidArgument, mentioning: "liver", "no key box on slice 12") {
            try run(["refine", path("a.json"), "--remove-key-box", "liver:12", "-o", out, "--quiet"])
        }
        TestData.assertError(.invalidArgument, mentioning: "liver", "slice 30", "outside") {
            try run(["refine", path("a.json"), "--key-box", "liver:30:50,30,100,80", "-o", out, "--quiet"])
        }
        // Another image (the same CT with one voxel changed).
        let other = path("other.nii.gz")
        try TestProcess.python("""
        import nibabel as nib, numpy as np, sys
        i = nib.load(sys.argv[1]); a = np.asanyarray(i.dataobj).copy(); a[60, 50, 14] += 100
        nib.save(nib.Nifti1Image(a, i.affine, i.header), sys.argv[2])
        """, arguments: [ct, other])
        TestData.assertError(.invalidArgument, mentioning: "not the image the earlier result was made from", path: other) {
            try run(["refine", path("a.json"), "--input", other, "--key-box", keyBox, "-o", out, "--quiet"])
        }
        // The label map of another run.
        TestData.assertError(.invalidArgument, mentioning: "does not belong to the report", path: path("c.nii.gz")) {
            try run(["refine", path("a.json"), "--labels", path("c.nii.gz"), "--key-box", keyBox, "-o", out, "--quiet"])
        }
        // A report from before refine existed (version 1), and one that is not a report.
        var old = try report(path("a.json"))
        old["version"] = 1
        old["image_sha256"] = nil
        try JSONSerialization.data(withJSONObject: old).write(to: URL(fileURLWithPath: path("old.json")))
        TestData.assertError(.invalidArgument, mentioning: "older VoxSAM", path: path("old.json")) {
            try run(["refine", path("old.json"), "-o", out, "--quiet"])
        }
        TestData.assertError(.invalidArgument, mentioning: "not a VoxSAM confidence report", path: path("a.labels.json")) {
            try run(["refine", path("a.labels.json"), "-o", out, "--quiet"])
        }
        // An object given again in --prompts keeps its place (the order decides overlaps): unchanged, it changes nothing.
        try Data(#"{"objects": [{"name": "liver", "label": 1, "box": [44, 25, 11, 105, 83, 17]}]}"#.utf8).write(to: URL(fileURLWithPath: path("again.json")))
        try run(["refine", path("a.json"), "--prompts", path("again.json"), "-o", path("f.nii.gz"), "--cache", cache, "--quiet"])
        XCTAssertEqual(try SHA256.hex(ofFile: path("f.nii.gz")), try SHA256.hex(ofFile: path("a.nii.gz")))
        TestData.assertError(.invalidArgument, mentioning: "every object was removed") {
            try run(["refine", path("a.json"), "--remove", "liver", "--remove", "spleen", "-o", out, "--quiet"])
        }
        // A hand-edited report: a slice record far outside the object's range.
        var edited = try report(path("a.json"))
        var objects = try XCTUnwrap(edited["objects"] as? [[String: Any]])
        var slices = try XCTUnwrap(objects[0]["slices"] as? [[String: Any]])
        slices[1]["slice"] = Int.max
        objects[0]["slices"] = slices
        edited["objects"] = objects
        try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: path("edited.json")))
        TestData.assertError(.invalidArgument, mentioning: "slice record \(Int.max) lies outside the box's slice range 11…17", path: path("edited.json")) {
            try run(["refine", path("edited.json"), "--labels", path("a.nii.gz"), "-o", out, "--quiet"])
        }
        // A probability map given as the earlier label map.
        let probabilities = path("p.nii.gz")
        try TestProcess.python("""
        import nibabel as nib, numpy as np, sys
        i = nib.load(sys.argv[1]); a = np.asanyarray(i.dataobj).astype(np.float32) * 0.5
        nib.save(nib.Nifti1Image(a, i.affine), sys.argv[2])
        """, arguments: [path("a.nii.gz"), probabilities])
        TestData.assertError(.invalidArgument, mentioning: "not a label map", "0.5", path: probabilities) {
            try run(["refine", path("a.json"), "--labels", probabilities, "--key-box", keyBox, "-o", out, "--quiet"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a refused refinement writes nothing")
    }

    private func report(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }
}
