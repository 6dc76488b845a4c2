import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMTestSupport
import XCTest

/// Real faults against the real `voxsam` executable as a child process: a file-size limit and a full
/// tmpfs (disk full), SIGINT/SIGTERM while writing, concurrent writers, stale temporary files.
/// Every failed run must exit non-zero, leave no new file and an old output byte-identical.
final class ReliabilityTests: XCTestCase {
    struct Child { var status: Int32; var stderr: String; var signalled: Bool }

    static var executable: String { TestData.repoRoot.appendingPathComponent(".build/release/voxsam").path }
    static var sampleCT: String { TestData.sampleData.appendingPathComponent("ct/example_ct_sm.nii.gz").path }
    static var sampleMR: String { TestData.sampleData.appendingPathComponent("reference/3DBox_MR_brain2/img.npz").path }

    func requireExecutable() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            print("skipped: \(Self.executable) is not built (swift build -c release --product voxsam; scripts/test.sh does it)")
            throw XCTSkip("\(Self.executable) is not built")
        }
        return Self.executable
    }

    /// Starts voxsam (optionally under `ulimit -f KiB` with SIGXFSZ ignored, so writes past it fail with EFBIG).
    func start(_ args: [String], fileLimitKiB: Int? = nil, cwd: String? = nil) throws -> (Process, Pipe) {
        let exe = try requireExecutable()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        let limit = fileLimitKiB.map { "trap '' XFSZ; ulimit -f \($0); " } ?? ""
        p.arguments = ["-c", limit + "exec \"$0\" \"$@\"", exe] + args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, err)
    }

    func run(_ args: [String], fileLimitKiB: Int? = nil, cwd: String? = nil) throws -> Child {
        let (p, err) = try start(args, fileLimitKiB: fileLimitKiB, cwd: cwd)
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Child(status: p.terminationStatus, stderr: String(decoding: data, as: UTF8.self), signalled: p.terminationReason == .uncaughtSignal)
    }

    func files(_ dir: URL) -> [String: String] {
        var out: [String: String] = [:]
        for n in TestData.listing(dir) { out[n] = (try? SHA256.hex(ofFile: dir.appendingPathComponent(n).path)) ?? "?" }
        return out
    }

    func assertNoTemporaryFiles(_ dir: URL, file: StaticString = #filePath, line: UInt = #line) {
        let left = TestData.listing(dir).filter { $0.contains(".voxsam-tmp-") }
        XCTAssertEqual(left, [], "temporary files left behind", file: file, line: line)
    }

    // MARK: Disk full

    /// A file-size limit (EFBIG) while writing `.nii`, `.nii.gz` and a `.hdr`/`.img` pair: exit 3, a message
    /// naming the user's file (not the temporary one), the old output byte-identical, nothing else new.
    func testWritesPastTheFileSizeLimitFailAndKeepTheOldOutput() throws {
        let dir = try TestData.temporaryFolder(self)
        for name in ["x.nii", "x.nii.gz", "pair.hdr"] {
            let out = dir.appendingPathComponent(name).path
            let good = try run(["convert", Self.sampleMR, out])
            XCTAssertEqual(good.status, 0, good.stderr)
            let before = files(dir)
            let bad = try run(["convert", Self.sampleCT, out], fileLimitKiB: 40)
            XCTAssertEqual(bad.status, 3, "\(name): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.contains("file-size limit"), bad.stderr)
            let failing = name == "pair.hdr" ? "pair.img" : name  // the pair's data file is the one past the limit
            XCTAssertTrue(bad.stderr.contains(failing), "names \(failing): \(bad.stderr)")
            XCTAssertFalse(bad.stderr.contains("voxsam-tmp"), "never the temporary name: \(bad.stderr)")
            XCTAssertEqual(bad.stderr.split(separator: "\n").filter { $0.hasPrefix("voxsam: error") }.count, 1, bad.stderr)
            XCTAssertEqual(files(dir), before, "\(name): the old output (both files of a pair) survives byte-identical")
            assertNoTemporaryFiles(dir)
            // And the old file still reads as the old volume.
            XCTAssertEqual(try VolumeReader.read(path: out).size, try VolumeReader.read(path: Self.sampleMR).size)
        }
    }

    /// A really full file system (a 256 kB tmpfs; root only): "disk full" naming the folder, exit 3.
    func testAFullTmpfsIsReportedAsDiskFull() throws {
        guard getuid() == 0 else { print("skipped: mounting a tmpfs needs root"); throw XCTSkip("mounting a tmpfs needs root") }
        _ = try requireExecutable()
        let dir = try TestData.temporaryFolder(self)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir.path]
        try mount.run(); mount.waitUntilExit()
        guard mount.terminationStatus == 0 else {
            print("skipped: mount -t tmpfs failed (no CAP_SYS_ADMIN in this container)")
            throw XCTSkip("mount -t tmpfs failed")
        }
        defer {
            let u = Process(); u.executableURL = URL(fileURLWithPath: "/bin/umount"); u.arguments = [dir.path]
            try? u.run(); u.waitUntilExit()
        }
        let out = dir.appendingPathComponent("x.nii").path
        let r = try run(["convert", Self.sampleCT, out])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertTrue(r.stderr.contains("disk full"), r.stderr)
        XCTAssertTrue(r.stderr.contains(dir.path), "names the folder: \(r.stderr)")
        XCTAssertEqual(TestData.listing(dir), [], "nothing left on the full disk")
    }

    // MARK: One group per run

    /// `voxsam export` whose label sidecar cannot be written (a 200-label description past the file-size
    /// limit, after the label map was written fine): no new label map; the old export byte-identical.
    func testExportWhoseSidecarFailsLeavesTheOldExport() throws {
        let dir = try TestData.temporaryFolder(self)
        let ct = try VolumeReader.read(path: Self.sampleCT)
        var voxels = [UInt8](repeating: 0, count: ct.voxels.count)
        for l in 1...200 { voxels[l * 997 % voxels.count] = UInt8(l) }
        let mapPath = dir.appendingPathComponent("in.nii.gz").path
        try VolumeWriter.write(Volume(geometry: ct.geometry, voxels: .uint8(voxels)), to: mapPath)
        let out = dir.appendingPathComponent("labels.nii.gz").path
        func names(_ tag: String) -> String { (1...200).map { "\($0)=structure \(tag) \($0) with a long descriptive name for the test" }.joined(separator: ",") }
        let good = try run(["export", mapPath, "--reference", Self.sampleCT, "--to", "nifti", "--names", names("a"), "--output", out])
        XCTAssertEqual(good.status, 0, good.stderr)
        let before = files(dir)
        XCTAssertGreaterThan(try Data(contentsOf: URL(fileURLWithPath: dir.appendingPathComponent("labels.labels.json").path)).count, 16 * 1024)
        XCTAssertLessThan(try Data(contentsOf: URL(fileURLWithPath: out)).count, 12 * 1024, "the label map itself fits under the limit")
        let bad = try run(["export", mapPath, "--reference", Self.sampleCT, "--to", "nifti", "--names", names("b"), "--output", out], fileLimitKiB: 12)
        XCTAssertEqual(bad.status, 3, bad.stderr)
        XCTAssertEqual(files(dir), before, "label map and sidecars unchanged")
        assertNoTemporaryFiles(dir)
    }

    /// DICOM SEG and RTSTRUCT that cannot be written: exit 3 like every write failure, naming the user's
    /// file (not the temporary one), nothing left behind.
    func testDICOMExportWriteFailuresExitThree() throws {
        let dir = try TestData.temporaryFolder(self)
        let series = TestData.sampleData.appendingPathComponent("dicom-ct3").path
        let grid = try VolumeReader.read(path: series)
        var voxels = [UInt8](repeating: 0, count: grid.voxels.count)
        for i in stride(from: voxels.count / 3, to: voxels.count / 2, by: 1) { voxels[i] = 1 }
        let map = dir.appendingPathComponent("map.nrrd").path
        try VolumeWriter.write(Volume(geometry: grid.geometry, voxels: .uint8(voxels)), to: map)
        for (format, name) in [("dicom-seg", "seg.dcm"), ("rtstruct", "rt.dcm")] {
            let before = files(dir)
            let r = try run(["export", map, "--reference", series, "--to", format, "--names", "1=liver", "--output", dir.appendingPathComponent(name).path],
                            fileLimitKiB: 1)
            XCTAssertEqual(r.status, 3, "\(format): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(name), r.stderr)
            XCTAssertFalse(r.stderr.contains("voxsam-tmp"), r.stderr)
            XCTAssertEqual(files(dir), before)
        }
    }

    /// `voxsam segment` whose QA picture cannot be written: no new label map, sidecar or report; the old
    /// ones byte-identical (needs the model).
    func testSegmentWhoseQAPictureFailsLeavesNothingNew() throws {
        _ = try requireExecutable()
        guard (try? ModelCheck.installed()) == true else {
            print("skipped: the LiteMedSAM checkpoint is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM checkpoint is not installed")
        }
        let dir = try TestData.temporaryFolder(self)
        let args = ["segment", Self.sampleCT, "--name", "liver", "-o", "liver.nii.gz", "--confidence", "c.json", "--qa", "qa.png", "--quiet"]
        let good = try run(args + ["--box", "44,25,12,105,83,16"], cwd: dir.path)
        XCTAssertEqual(good.status, 0, good.stderr)
        let before = files(dir)
        XCTAssertEqual(Set(before.keys), ["liver.nii.gz", "liver.labels.json", "liver.itksnap.txt", "c.json", "qa.png"])
        let bad = try run(args + ["--box", "44,25,10,105,83,18"], fileLimitKiB: 60, cwd: dir.path)
        XCTAssertEqual(bad.status, 3, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("qa.png"), bad.stderr)
        XCTAssertEqual(files(dir), before, "no new label map, sidecar or report; old outputs byte-identical")
        // A `.hdr` label map is a pair plus sidecars, written as one group.
        let pair = try run(["segment", Self.sampleCT, "--box", "44,25,12,105,83,16", "-o", "m.hdr", "--quiet"], cwd: dir.path)
        XCTAssertEqual(pair.status, 0, pair.stderr)
        for f in ["m.hdr", "m.img", "m.labels.json", "m.itksnap.txt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), f)
        }
        assertNoTemporaryFiles(dir)
    }

    // MARK: Signals, concurrency, leftovers

    /// SIGINT and SIGTERM at seeded random moments of `convert` (reading, compressing, writing):
    /// exit 130/143 (or 0 when it finished first), never a temporary file, and the output is either the
    /// old file or the complete new one.
    func testSignalsNeverLeaveTemporaryFilesOrHalfOutputs() throws {
        let dir = try TestData.temporaryFolder(self)
        var rng = SeededRandom(seed: 11)
        var noise = [Int16](repeating: 0, count: 256 * 256 * 120)
        for i in noise.indices { noise[i] = Int16(truncatingIfNeeded: rng.next(in: -1000...1000)) }
        let ct = try VolumeReader.read(path: Self.sampleCT)
        var g = ct.geometry
        g.size = SIMD3(256, 256, 120)
        let big = dir.appendingPathComponent("big.nii").path
        try VolumeWriter.write(Volume(geometry: g, voxels: .int16(noise)), to: big)
        let out = dir.appendingPathComponent("out.nii.gz").path
        let first = try run(["convert", Self.sampleMR, out])
        XCTAssertEqual(first.status, 0, first.stderr)
        let oldHash = try SHA256.hex(ofFile: out)
        let timed = Date()
        XCTAssertEqual(try run(["convert", big, dir.appendingPathComponent("timing.nii.gz").path]).status, 0)
        let duration = Date().timeIntervalSince(timed)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("timing.nii.gz"))
        var killed = 0, trials = 0
        // Until 6 runs were interrupted (a run that finishes first is fine and checked too), at most 40.
        for trial in 0..<40 where killed < 6 {
            trials += 1
            let sig = trial % 2 == 0 ? SIGTERM : SIGINT
            let (p, err) = try start(["convert", big, out])
            Thread.sleep(forTimeInterval: duration * (0.05 + 0.75 * rng.unit()))
            kill(p.processIdentifier, sig)
            let msg = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            if p.terminationStatus == 0 { continue }
            killed += 1
            XCTAssertEqual(p.terminationStatus, 128 + sig, "trial \(trial): \(msg)")
            assertNoTemporaryFiles(dir)
            let now = try SHA256.hex(ofFile: out)
            if now != oldHash { XCTAssertEqual(try VolumeReader.read(path: out).size, g.size, "a complete new output") }
        }
        print("signals: \(killed) of \(trials) runs interrupted (convert takes \(String(format: "%.2f", duration)) s)")
        XCTAssertGreaterThanOrEqual(killed, 5)
        assertNoTemporaryFiles(dir)
    }

    /// Two processes writing the same `.hdr`/`.img` pair from different inputs at the same time: the
    /// pair is always from one of them (the commits of a folder never interleave).
    func testConcurrentWritersNeverMixAPair() throws {
        let dir = try TestData.temporaryFolder(self)
        let out = dir.appendingPathComponent("p.hdr").path
        let sizes = [try VolumeReader.read(path: Self.sampleCT).size, try VolumeReader.read(path: Self.sampleMR).size]
        for _ in 0..<8 {
            let a = try start(["convert", Self.sampleCT, out]), b = try start(["convert", Self.sampleMR, out])
            for (p, _) in [a, b] { p.waitUntilExit(); XCTAssertEqual(p.terminationStatus, 0) }
            let v = try VolumeReader.read(path: out)  // .hdr size must match the .img's bytes
            XCTAssertTrue(sizes.contains(v.size))
            let img = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("p.img").path)[.size] as? Int
            XCTAssertEqual(img, v.voxels.count * v.type.byteCount, "header and data from the same run")
        }
        assertNoTemporaryFiles(dir)
    }

    /// Temporary files older than a day beside an output (a SIGKILL, a power cut) are removed at the
    /// next write there; fresh ones (another run in progress) are left alone.
    func testStaleTemporaryFilesAreRemoved() throws {
        let dir = try TestData.temporaryFolder(self)
        let stale = dir.appendingPathComponent(".x.voxsam-tmp-1-abc.nii").path
        let fresh = dir.appendingPathComponent(".x.voxsam-tmp-2-def.nii").path
        for p in [stale, fresh] { XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data("patient data".utf8))) }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-2 * 86_400)], ofItemAtPath: stale)
        let r = try run(["convert", Self.sampleMR, dir.appendingPathComponent("x.nii").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
        XCTAssertTrue(FileManager.default.fileExists(atPath: fresh))
    }

    /// An overwritten output keeps its mode.
    func testAnOverwrittenOutputKeepsItsMode() throws {
        let dir = try TestData.temporaryFolder(self)
        let out = dir.appendingPathComponent("x.nrrd").path
        XCTAssertEqual(try run(["convert", Self.sampleMR, out]).status, 0)
        chmod(out, 0o640)
        XCTAssertEqual(try run(["convert", Self.sampleCT, out]).status, 0)
        let mode = (try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o640)
    }
}

/// Whether the model is installed where `voxsam` looks by default.
enum ModelCheck {
    static func installed() throws -> Bool {
        let env = ProcessInfo.processInfo.environment
        if let m = env["VOXSAM_MODEL"] { return FileManager.default.fileExists(atPath: m) }
        let dir = env["VOXSAM_MODEL_DIR"] ?? ((env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/voxsam/models")
        return FileManager.default.fileExists(atPath: dir + "/lite_medsam.pth")
    }
}
