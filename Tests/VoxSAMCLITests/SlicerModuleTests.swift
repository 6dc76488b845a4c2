import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMTestSupport
import XCTest
@testable import VoxSAMCLI

/// `voxsam-slicer`, the 3D Slicer / MITK CLI module: ctk-cli (the Slicer Execution Model parser on
/// PyPI) reads its `--xml`; a command line built from that description the way Slicer builds one —
/// an NRRD input in LPS space, a Markups ROI as a RAS region — gives the label map `voxsam segment
/// --box-mm` gives for the same box, with progress on stdout, nothing on stderr and the returned values
/// in the return-parameter file.
final class SlicerModuleTests: XCTestCase {
    static let exe = TestData.repoRoot.appendingPathComponent(".build/release/voxsam-slicer").path

    func testXMLIsValidAndFastWithNothingOnStderr() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.exe), "needs .build/release/voxsam-slicer (swift build -c release --product voxsam-slicer)")
        let start = Date()
        let out = try TestProcess.run(Self.exe, ["--xml"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "Slicer gives --xml 5 s")
        XCTAssertEqual(out.status, 0)
        XCTAssertEqual(out.stderr, "", "Slicer counts anything on stderr at discovery as an error")
        XCTAssertTrue(out.stdout.hasPrefix("<?xml"), "stdout must start with <?xml")
        XCTAssertFalse((Self.exe as NSString).lastPathComponent.contains("."), "Slicer only runs executables without a dot in the name")
    }

    func testSlicerCommandLineFromCtkCliEqualsSegmentBoxMM() throws {
        guard (try? ModelCheck.installed()) == true else {
            print("skipped: the LiteMedSAM checkpoint is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM checkpoint is not installed")
        }
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.exe), "needs .build/release/voxsam-slicer (swift build -c release --product voxsam-slicer)")
        let root = try TestData.temporaryFolder(self)
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        // The input as Slicer hands it over: NRRD, space left-posterior-superior.
        var convert = try VoxSAMCommand.parseAsRoot(["convert", TestData.sampleData.appendingPathComponent("ct/example_ct_sm.nii.gz").path, path("ct.nrrd")])
        try convert.run()
        XCTAssertTrue(try String(contentsOfFile: path("ct.nrrd"), encoding: .isoLatin1).contains("space: left-posterior-superior"))
        // The liver and spleen boxes of the README's example, as two LPS corners at voxel centres each,
        // and the Markups ROIs Slicer would pass for them: centre and radius in RAS.
        let g = try VolumeReader.read(path: path("ct.nrrd")).geometry
        var lps: [String] = [], rois: [String] = []
        for box in [[44, 25, 11, 105, 83, 17], [10, 22, 12, 34, 54, 15]] {
            let a = g.worldPoint(index: SIMD3<Double>(Double(box[0]), Double(box[1]), Double(box[2])))
            let b = g.worldPoint(index: SIMD3<Double>(Double(box[3]), Double(box[4]), Double(box[5])))
            lps.append([a.x, a.y, a.z, b.x, b.y, b.z].map { String(format: "%.6f", $0) }.joined(separator: ","))
            let centre = (a + b) / 2, radius = SIMD3(abs(b.x - a.x), abs(b.y - a.y), abs(b.z - a.z)) / 2
            rois.append([-centre.x, -centre.y, centre.z, radius.x, radius.y, radius.z].map { String(format: "%.6f", $0) }.joined(separator: ","))
        }

        let script = """
        import subprocess, sys, ctk_cli
        exe, image, out, roi, roi2, params, seg = sys.argv[1:8]
        module = ctk_cli.CLIModule(exe)
        values = {"inputVolume": image, "outputLabel": out, "roi": roi, "roi2": roi2, "names": ["liver", "spleen"], "labels": [1, 2],
                  "protocolName": "none", "propagation": "protocol", "segmentation": seg}
        # As Slicer's vtkSlicerCLIModuleLogic: flagged parameters as --longflag value (a region is one
        # ROI node's centre and radius; vectors are comma-joined), then the positional ones by index.
        args, positional = [exe], {}
        for p in module.parameters():
            if p.name not in values:
                continue
            v = values[p.name]
            if p.index is not None:
                positional[p.index] = v
            elif p.typ.endswith("-vector"):
                args += [p.longflag, ",".join(str(x) for x in v)]
            else:
                args += [p.longflag, str(v)]
        args += ["--returnparameterfile", params]
        args += [positional[i] for i in sorted(positional)]
        run = subprocess.run(args, capture_output=True, text=True)
        print("ARGS", " ".join(args[1:]))
        print("RC", run.returncode)
        print("STDERR", repr(run.stderr))
        print("PROGRESS", sum(1 for l in run.stdout.splitlines() if l.startswith("<filter-progress>")))
        """
        let result = try TestProcess.python(script, arguments: [Self.exe, path("ct.nrrd"), path("slicer.nrrd"), rois[0], rois[1], path("params.txt"), path("slicer.seg.nrrd")])
        XCTAssertTrue(result.contains("RC 0"), result)
        XCTAssertTrue(result.contains("STDERR ''"), "nothing on stderr (Slicer reports it as an error):\n\(result)")
        XCTAssertTrue(result.contains("--roi \(rois[0])") && result.contains("--roi2 \(rois[1])"), result)
        let progressLines = Int(result.components(separatedBy: "PROGRESS ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        XCTAssertGreaterThan(progressLines, 3, result)

        var segment = try VoxSAMCommand.parseAsRoot(["segment", path("ct.nrrd"), "--box-mm", lps[0], "--name", "liver", "--label", "1",
                                                     "--box-mm", lps[1], "--name", "spleen", "--label", "2", "-o", path("segment.nrrd"), "--quiet"])
        try segment.run()
        let fromSlicer = try VolumeReader.read(path: path("slicer.nrrd")), fromSegment = try VolumeReader.read(path: path("segment.nrrd"))
        XCTAssertEqual(fromSlicer.geometry.size, fromSegment.geometry.size)
        XCTAssertEqual(fromSlicer.voxels, fromSegment.voxels, "the module's label map equals voxsam segment --box-mm's")
        XCTAssertGreaterThan((0..<fromSlicer.geometry.voxelCount).filter { fromSlicer.voxels[$0] == 1 }.count, 1000)
        XCTAssertGreaterThan((0..<fromSlicer.geometry.voxelCount).filter { fromSlicer.voxels[$0] == 2 }.count, 100)
        let params = try String(contentsOfFile: path("params.txt"), encoding: .utf8)
        for key in ["volumeML = ", "meanIoU = ", "minIoU = ", "lowConfidenceSlices = "] { XCTAssertTrue(params.contains(key), params) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("slicer.seg.nrrd")))
    }

    func testBadROIIsOneLineOnStderrWithExitCode2() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.exe), "needs .build/release/voxsam-slicer (swift build -c release --product voxsam-slicer)")
        let root = try TestData.temporaryFolder(self)
        let out = try TestProcess.run(Self.exe, ["--roi", "1,2,3", TestData.sampleData.appendingPathComponent("ct/example_ct_sm.nii.gz").path,
                                                 root.appendingPathComponent("x.nrrd").path])
        XCTAssertEqual(out.status, 2)
        XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("--roi `1,2,3` must be six numbers"), out.stderr)
        let rotated = try TestProcess.run(Self.exe, ["--roi", (1...15).map(String.init).joined(separator: ","), TestData.sampleData.appendingPathComponent("ct/example_ct_sm.nii.gz").path,
                                                     root.appendingPathComponent("x.nrrd").path])
        XCTAssertEqual(rotated.status, 2)
        XCTAssertTrue(rotated.stderr.contains("the ROI is rotated"), rotated.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("x.nrrd").path))
    }
}
