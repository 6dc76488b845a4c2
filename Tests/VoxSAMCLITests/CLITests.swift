import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
@testable import VoxSAMCLI

/// End-to-end checks of the subcommands through the same parser the executable uses.
final class CLITests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    func run(_ args: [String]) throws {
        var c = try VoxSAMCommand.parseAsRoot(args)
        try c.run()
    }

    func shared(_ rel: String) throws -> String {
        let p = Self.shared.appendingPathComponent(rel).path
        guard FileManager.default.fileExists(atPath: p) else {
            print("skipped: \(p) is not available (../shared is absent)")
            throw XCTSkip("\(p) is not available (../shared is absent)")
        }
        return p
    }

    func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: u) }
        return u
    }

    /// Expects a VoxSAM error naming `path`, with exit code `exit`; checks nothing was written to `dir`.
    func expectFailure(_ args: [String], exit: Int32, naming path: String, fragment: String, dir: URL,
                       file: StaticString = #filePath, line: UInt = #line) {
        let before = (try? FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()) ?? []
        do {
            try run(args)
            XCTFail("expected \(args) to fail", file: file, line: line)
        } catch let e as VoxSAMError {
            XCTAssertEqual(VoxSAMCommand.exitCode(for: e), exit, "\(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(path), "error \"\(e)\" must name \(path)", file: file, line: line)
            XCTAssertTrue(e.description.lowercased().contains(fragment.lowercased()), "error \"\(e)\" lacks \"\(fragment)\"", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), "one line", file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        let after = (try? FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()) ?? []
        XCTAssertEqual(before, after, "no output or temporary file may be left behind", file: file, line: line)
    }

    /// `voxsam convert` of a dcm2niix test series: affine within 1e-3 mm of the reference NIfTI and
    /// voxels equal in world space.
    func testConvertDICOMMatchesDcm2niix() throws {
        let dir = try tempDir()
        for n in [1, 3, 9] {  // explicit LE, big endian, JPEG 2000
            let input = try shared("B/dcm_qa_ts/In/\(n).dcm")
            let out = dir.appendingPathComponent("\(n).nii.gz").path
            try run(["convert", input, out, "--quiet"])
            let ours = try NIfTIReader.read(path: out)
            let ref = try NIfTIReader.read(path: try shared("B/dcm_qa_ts/Ref/\(n).nii"))
            XCTAssertEqual(ours.size, ref.size)
            // Both grids must place every voxel at the same world point, up to a reordering of axes.
            var maxDistance = 0.0, mismatches = 0
            let g = ref.geometry
            for k in 0..<g.size.z { for j in 0..<g.size.y { for i in 0..<g.size.x {
                let p = g.worldPoint(index: SIMD3(Double(i), Double(j), Double(k)))
                let c = try XCTUnwrap(ours.geometry.continuousIndex(world: p))
                let q = SIMD3(Int(c.x.rounded()), Int(c.y.rounded()), Int(c.z.rounded()))
                let back = ours.geometry.worldPoint(index: SIMD3(Double(q.x), Double(q.y), Double(q.z)))
                maxDistance = max(maxDistance, ((back - p) * (back - p)).sum().squareRoot())
                if ours.value(q.x, q.y, q.z) != ref.value(i, j, k) { mismatches += 1 }
            } } }
            XCTAssertLessThan(maxDistance, 1e-3, "\(n).dcm: voxel centres differ by \(maxDistance) mm")
            XCTAssertEqual(mismatches, 0, "\(n).dcm")
        }
    }

    /// Works from a fresh clone: the committed DICOM sample converts and reads back identically.
    func testConvertSampleDICOMRoundTrip() throws {
        let dir = try tempDir()
        let input = Self.repoRoot.appendingPathComponent("SampleData/dicom").path
        let files = (try FileManager.default.contentsOfDirectory(atPath: input)).filter { $0.hasPrefix("MR_small") && $0.hasSuffix(".dcm") }.sorted()
        let file = try XCTUnwrap(files.first { $0 == "MR_small.dcm" } ?? files.first)
        let src = input + "/" + file
        for ext in ["nii.gz", "nrrd"] {
            let out = dir.appendingPathComponent("mr.\(ext)").path
            try run(["convert", src, out, "--quiet"])
            let a = try VolumeReader.read(path: src), b = try VolumeReader.read(path: out)
            XCTAssertEqual(a.voxels, b.voxels)
            XCTAssertLessThan(a.geometry.maxAffineDifference(to: b.geometry), 1e-4)
        }
        try run(["info", src, "--json"])
    }

    func testBadInputsFailCleanly() throws {
        let dir = try tempDir()
        let out = dir.appendingPathComponent("out.nii.gz").path
        // Truncated DICOM and a non-image DICOM.
        if let truncated = try? shared("B/pydicom/src/pydicom/data/test_files/MR_truncated.dcm") {
            expectFailure(["convert", truncated, out], exit: 2, naming: truncated, fragment: "truncated", dir: dir)
        }
        if let rt = try? shared("B/pydicom/src/pydicom/data/test_files/rtstruct.dcm") {
            expectFailure(["convert", rt, out], exit: 2, naming: rt, fragment: "not an image", dir: dir)
        }
        // A folder with no images.
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: empty.appendingPathComponent("readme.txt"))
        expectFailure(["convert", empty.path, out], exit: 2, naming: empty.path, fragment: "no DICOM images", dir: dir)
        // Corrupt .nii.gz.
        let corrupt = dir.appendingPathComponent("corrupt.nii.gz")
        let good = Volume(geometry: Geometry(size: SIMD3(32, 32, 16)), voxels: .int16((0..<16384).map { Int16($0 % 2000) }))
        try NIfTIWriter.write(good, to: corrupt.path)
        let bytes = try Data(contentsOf: corrupt)
        try bytes.prefix(bytes.count / 2).write(to: corrupt)
        expectFailure(["convert", corrupt.path, out], exit: 2, naming: corrupt.path, fragment: "truncated", dir: dir)
        // Unknown input format and wrong output extension.
        let text = dir.appendingPathComponent("notes.txt")
        try Data("not an image".utf8).write(to: text)
        expectFailure(["info", text.path], exit: 2, naming: text.path, fragment: "unrecognised", dir: dir)
        let sample = Self.repoRoot.appendingPathComponent("SampleData/ct/example_ct_sm.nii.gz").path
        expectFailure(["convert", sample, dir.appendingPathComponent("x.png").path], exit: 2, naming: "x.png", fragment: "extension", dir: dir)
        // Output folder missing, and not writable.
        expectFailure(["convert", sample, dir.path + "/missing/out.nii.gz"], exit: 3, naming: "missing/out.nii.gz", fragment: "does not exist", dir: dir)
        if getuid() != 0 {
            let ro = dir.appendingPathComponent("ro")
            try FileManager.default.createDirectory(at: ro, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o555])
            expectFailure(["convert", sample, ro.path + "/out.nii.gz"], exit: 3, naming: "out.nii.gz", fragment: "not writable", dir: dir)
        }
    }

    func testSegmentRefusesBadPromptsAndMissingModelBeforeWriting() throws {
        let dir = try tempDir()
        let sample = Self.repoRoot.appendingPathComponent("SampleData/ct/example_ct_sm.nii.gz").path
        let out = dir.appendingPathComponent("seg.nii.gz").path
        expectFailure(["segment", sample, "-o", out, "--box", "44,25,0,500,83,29", "--name", "liver", "--model", "/nonexistent/lite_medsam.pth"],
                      exit: 2, naming: "liver", fragment: "outside the volume", dir: dir)
        expectFailure(["segment", sample, "-o", out, "--box", "44,25,9,105,83,3", "--name", "liver"],
                      exit: 2, naming: "liver", fragment: "inverted", dir: dir)
        expectFailure(["segment", sample, "-o", out, "--box", "44,25,0,105,83,29", "--model", dir.path + "/none.pth"],
                      exit: 2, naming: "none.pth", fragment: "voxsam model fetch", dir: dir)
        expectFailure(["segment", sample, "-o", dir.path + "/nope/seg.nii.gz", "--box", "44,25,0,105,83,29"],
                      exit: 3, naming: "nope/seg.nii.gz", fragment: "does not exist", dir: dir)
        expectFailure(["segment", sample, "-o", out, "--box", "44,25,0,105,83,29", "--qa", dir.path + "/nope/qa.png"],
                      exit: 3, naming: "qa.png", fragment: "does not exist", dir: dir)
    }
}
