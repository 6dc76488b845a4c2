import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VoxSAMCore
import VoxSAMIO
import VoxSAMTestSupport
import XCTest
@testable import VoxSAMCLI

/// Series from a real PACS and results sent back to it: Orthanc (Debian `orthanc` + `orthanc-dicomweb`)
/// on loopback, fed by DCMTK's `storescu`. `voxsam info|convert|segment dicomweb://…` and `dimse://…`
/// read the series (WADO-RS; C-FIND + C-GET) into a private folder that is gone afterwards;
/// `segment --push` and `export --push` send the DICOM SEG and RTSTRUCT (STOW-RS; C-STORE), QIDO-RS
/// finds them in the same study, and highdicom reads the SEG fetched back by WADO-RS with masks equal
/// to the local label map. Failures are one line naming the peer, exit code 6, and the written result
/// stays.
final class PACSTests: XCTestCase {
    static let exe = TestData.repoRoot.appendingPathComponent(".build/release/voxsam").path

    /// An Orthanc on free loopback ports with a private storage folder, stopped after the test.
    final class Orthanc {
        private var process: Process?
        let httpPort: Int
        let dicomPort: Int
        let config: URL
        let log: URL

        init(_ test: XCTestCase, folder: URL) throws {
            let ports = try TestProcess.python("""
            import socket
            s = [socket.socket() for _ in range(2)]
            for x in s: x.bind(("127.0.0.1", 0))
            print(" ".join(str(x.getsockname()[1]) for x in s))
            """).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard ports.count == 2 else { throw XCTSkip("no free ports") }
            (httpPort, dicomPort) = (ports[0], ports[1])
            let settings: [String: Any] = [
                "Name": "voxsam-test", "HttpPort": httpPort, "DicomPort": dicomPort, "DicomAet": "ORTHANC",
                "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
                "StorageDirectory": folder.appendingPathComponent("db").path, "IndexDirectory": folder.appendingPathComponent("db").path,
                "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"], "DicomWeb": ["Enable": true, "Root": "/dicom-web/"],
                // C-FIND, C-GET and C-STORE only for the AE titles it knows (VoxSAM's default); wrong called AE titles rejected.
                "DicomModalities": ["voxsam": ["VOXSAM", "127.0.0.1", 104]], "DicomCheckCalledAet": true, "DicomAlwaysAllowStore": false,
            ]
            config = folder.appendingPathComponent("orthanc.json")
            log = folder.appendingPathComponent("orthanc.log")
            try JSONSerialization.data(withJSONObject: settings).write(to: config)
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            try start()
            test.addTeardownBlock { [self] in stop() }
        }

        func start() throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/Orthanc")
            p.arguments = [config.path]
            p.standardOutput = FileHandle.nullDevice
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            p.standardError = handle
            try p.run()
            process = p
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if (try? Data(contentsOf: URL(string: "http://127.0.0.1:\(httpPort)/system")!)) != nil { return }
                Thread.sleep(forTimeInterval: 0.2)
            }
            throw XCTSkip("Orthanc did not start")
        }

        func stop() {
            process?.terminate()
            process?.waitUntilExit()
            process = nil
        }

        /// Gone at once, as a crashed or unplugged PACS (a graceful stop still takes associations).
        func kill() {
            if let p = process { Glibc.kill(p.processIdentifier, SIGKILL) }
            process?.waitUntilExit()
            process = nil
        }

        var root: String { "dicomweb://127.0.0.1:\(httpPort)/dicom-web" }
        var dimse: String { "dimse://ORTHANC@127.0.0.1:\(dicomPort)" }

        /// Stores SampleData/dicom-ct3 by C-STORE (DCMTK's storescu); returns its folder and UIDs as QIDO-RS lists them.
        func feedSample() throws -> (folder: String, study: String, series: String) {
            let folder = TestData.sampleData.appendingPathComponent("dicom-ct3").path
            let files = ["01.dcm", "02.dcm", "03.dcm"].map { "\(folder)/\($0)" }
            let store = try TestProcess.run("/usr/bin/storescu", ["-aet", "VOXSAM", "-aec", "ORTHANC", "127.0.0.1", String(dicomPort)] + files)
            guard store.status == 0 else { throw VoxSAMError(.internal, "storescu failed: \(store.stderr)") }
            let uids = try TestProcess.python("""
            import sys, requests
            s = requests.get(sys.argv[1] + "/dicom-web/series").json()
            print(s[0]["0020000D"]["Value"][0], s[0]["0020000E"]["Value"][0])
            """, arguments: ["http://127.0.0.1:\(httpPort)"]).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard uids.count == 2 else { throw VoxSAMError(.internal, "QIDO-RS lists no series: \(uids)") }
            return (folder, uids[0], uids[1])
        }
    }

    func requirePeers() throws {
        guard (try? ModelCheck.installed()) == true else {
            print("skipped: the LiteMedSAM checkpoint is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM checkpoint is not installed")
        }
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.exe), "needs .build/release/voxsam")
        for tool in ["/usr/sbin/Orthanc", "/usr/share/orthanc/plugins/libOrthancDicomWeb.so", "/usr/bin/storescu"]
        where !FileManager.default.fileExists(atPath: tool) {
            print("skipped: \(tool) is missing (scripts/setup-interop.sh installs orthanc, orthanc-dicomweb and dcmtk)")
            throw XCTSkip("\(tool) is missing")
        }
    }

    /// A test folder, its TMPDIR for voxsam (empty at the end: fetched series are removed), and Orthanc.
    func startedPACS() throws -> (root: URL, tmp: URL, orthanc: Orthanc) {
        try requirePeers()
        let root = try TestData.temporaryFolder(self)
        let tmp = root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        return (root, tmp, try Orthanc(self, folder: root))
    }

    func voxsam(_ args: [String], tmp: URL) throws -> TestProcess.Output {
        try TestProcess.run(Self.exe, args, environment: ["TMPDIR": tmp.path])
    }

    func testSeriesFromDICOMwebAndSEGBackByStow() throws {
        let (root, tmp, orthanc) = try startedPACS()
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let (series, study, seriesUID) = try orthanc.feedSample()
        let uids = [study, seriesUID]
        let address = "\(orthanc.root)/studies/\(uids[0])/series/\(uids[1])"

        // info and segment read the series from the PACS as from the folder.
        let info = try voxsam(["info", address, "--json"], tmp: tmp)
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("512") && info.stdout.contains(address), info.stdout)
        let box = "200,200,0,300,300,2"
        for (input, out) in [(series, "folder"), (address, "web")] {
            let r = try voxsam(["segment", input, "--box", box, "--name", "x", "-o", path(out + ".nrrd"), "--confidence", path(out + ".json"), "--quiet"], tmp: tmp)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        // A correction of the result fetches the series again from the address the report records.
        let refined = try voxsam(["refine", path("web.json"), "--key-box", "x:1:210,210,290,290", "-o", path("web-refined.nrrd"), "--quiet"], tmp: tmp)
        XCTAssertEqual(refined.status, 0, refined.stderr)
        XCTAssertTrue(try String(contentsOfFile: path("web.json"), encoding: .utf8).contains(address))
        let a = try VolumeReader.read(path: path("folder.nrrd")), b = try VolumeReader.read(path: path("web.nrrd"))
        XCTAssertEqual(a.geometry, b.geometry)
        XCTAssertTrue(a.voxels == b.voxels, "the same masks")

        // The SEG goes back by STOW-RS, into the same study.
        let pushed = try voxsam(["segment", address, "--box", box, "--name", "x", "-o", path("seg.dcm"), "--push", orthanc.root], tmp: tmp)
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        XCTAssertTrue(pushed.stderr.contains("sent \(path("seg.dcm")) to http://127.0.0.1:\(orthanc.httpPort)/dicom-web"), pushed.stderr)
        let check = try TestProcess.python("""
        import email, sys, requests
        base, study, out = sys.argv[1:4]
        found = requests.get(base + "/dicom-web/series", params={"Modality": "SEG"}).json()
        print("SEG_SERIES", len(found), found[0]["0020000D"]["Value"][0] == study)
        seg_series = found[0]["0020000E"]["Value"][0]
        r = requests.get(f"{base}/dicom-web/studies/{study}/series/{seg_series}",
                         headers={"Accept": 'multipart/related; type="application/dicom"'})
        msg = email.message_from_bytes(b"Content-Type: " + r.headers["Content-Type"].encode() + b"\\r\\n\\r\\n" + r.content)
        parts = [p.get_payload(decode=True) for p in msg.walk() if p.get_content_type() == "application/dicom"]
        open(out, "wb").write(parts[0])
        print("FETCHED", len(parts))
        """, arguments: ["http://127.0.0.1:\(orthanc.httpPort)", uids[0], path("fetched-seg.dcm")])
        XCTAssertTrue(check.contains("SEG_SERIES 1 True"), check)
        XCTAssertTrue(check.contains("FETCHED 1"), check)
        // The RTSTRUCT by export --push (its reference fetched by WADO-RS), into the same study, referencing the series.
        let rt = try voxsam(["export", path("web.nrrd"), "--reference", address, "--to", "rtstruct", "--names", "1=x", "-o", path("rt.dcm"),
                             "--push", orthanc.root], tmp: tmp)
        XCTAssertEqual(rt.status, 0, rt.stderr)
        let rtCheck = try TestProcess.python("""
        import sys, requests
        base, study, series = sys.argv[1:4]
        found = requests.get(base + "/dicom-web/series", params={"Modality": "RTSTRUCT"}).json()
        assert len(found) == 1 and found[0]["0020000D"]["Value"][0] == study, found
        meta = requests.get(f"{base}/dicom-web/studies/{study}/series/{found[0]['0020000E']['Value'][0]}/metadata").json()[0]
        ref = meta["30060010"]["Value"][0]["30060012"]["Value"][0]["30060014"]["Value"][0]["0020000E"]["Value"][0]
        print("RTSTRUCT", ref == series)
        """, arguments: ["http://127.0.0.1:\(orthanc.httpPort)", uids[0], uids[1]])
        XCTAssertTrue(rtCheck.contains("RTSTRUCT True"), rtCheck)
        let script = TestData.repoRoot.appendingPathComponent("Tests/Interop/check_dicom_export.py").path
        let highdicom = try TestProcess.run("python3", [script, "seg", path("fetched-seg.dcm"), series, path("web.nrrd"), "1=x"])
        XCTAssertEqual(highdicom.status, 0, "highdicom reads the SEG fetched by WADO-RS with masks equal to the label map:\n\(highdicom.stdout)\(highdicom.stderr)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("fetched-seg.dcm"))), try Data(contentsOf: URL(fileURLWithPath: path("seg.dcm"))))

        // Failures: one line naming the peer, exit 6; the written SEG stays; no private folder is left.
        let closed = try voxsam(["info", "dicomweb://127.0.0.1:9/dicom-web/studies/1.2/series/1.3"], tmp: tmp)
        XCTAssertEqual(closed.status, 6, closed.stderr)
        XCTAssertTrue(closed.stderr.contains("http://127.0.0.1:9/dicom-web") && closed.stderr.contains("cannot be reached"), closed.stderr)
        let missing = try voxsam(["info", "\(orthanc.root)/studies/\(uids[0])/series/1.2.3.4"], tmp: tmp)
        XCTAssertEqual(missing.status, 6, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("series/1.2.3.4") && missing.stderr.contains("HTTP 404"), missing.stderr)
        let wrong = try voxsam(["segment", address, "--box", box, "--name", "x", "-o", path("seg2.dcm"), "--push", "dicomweb://127.0.0.1:\(orthanc.httpPort)/nope"], tmp: tmp)
        XCTAssertEqual(wrong.status, 6, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("STOW-RS to http://127.0.0.1:\(orthanc.httpPort)/nope answered HTTP 404") && wrong.stderr.contains("seg2.dcm is written and stays"), wrong.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("seg2.dcm")))
        for r in [closed, missing, wrong] {
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.contains("error:") }.count, 1, r.stderr)
        }
        let bad = try voxsam(["segment", series, "--box", box, "-o", path("x.nii.gz"), "--push", orthanc.root], tmp: tmp)
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--push sends DICOM SEG or RTSTRUCT"), bad.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "the fetched series are removed")
    }

    /// The same by DIMSE: the series by C-FIND + C-GET (masks equal to the folder's), the SEG sent by
    /// `segment --push` and the RTSTRUCT by `export --push` over C-STORE; both are then in the CT's
    /// study, referencing its series, and highdicom reads the SEG fetched back by WADO-RS with masks
    /// equal to the local label map. A wrong AE title on either side, a refused connection, a series
    /// the peer does not have: one line naming the peer and what it said, exit 6, the result stays.
    func testSeriesByCGetAndResultsBackByCStore() throws {
        let (root, tmp, orthanc) = try startedPACS()
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let (series, study, seriesUID) = try orthanc.feedSample()
        let address = "\(orthanc.dimse)/\(seriesUID)"

        let info = try voxsam(["info", address], tmp: tmp)
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("512 x 512 x 3"), info.stdout)
        let box = "200,200,0,300,300,2"
        for (input, out) in [(series, "folder"), (address, "dimse")] {
            let r = try voxsam(["segment", input, "--box", box, "--name", "x", "-o", path(out + ".nrrd"), "--quiet"], tmp: tmp)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let a = try VolumeReader.read(path: path("folder.nrrd")), b = try VolumeReader.read(path: path("dimse.nrrd"))
        XCTAssertEqual(a.geometry, b.geometry)
        XCTAssertTrue(a.voxels == b.voxels, "the same masks")
        XCTAssertEqual(Set(b.voxels.labelValues), [0, 1], "the mask is not empty")

        // The SEG by segment --push, the RTSTRUCT by export --push (its reference fetched by C-GET too).
        let seg = try voxsam(["segment", address, "--box", box, "--name", "x", "-o", path("seg.dcm"), "--push", orthanc.dimse], tmp: tmp)
        XCTAssertEqual(seg.status, 0, seg.stderr)
        XCTAssertTrue(seg.stderr.contains("sent \(path("seg.dcm")) to \(orthanc.dimse) (C-STORE)"), seg.stderr)
        let rt = try voxsam(["export", path("dimse.nrrd"), "--reference", address, "--to", "rtstruct", "--names", "1=x", "-o", path("rt.dcm"),
                             "--push", orthanc.dimse], tmp: tmp)
        XCTAssertEqual(rt.status, 0, rt.stderr)
        XCTAssertTrue(rt.stderr.contains("sent \(path("rt.dcm")) to \(orthanc.dimse) (C-STORE)"), rt.stderr)
        let check = try TestProcess.python("""
        import email, io, sys, requests, pydicom
        base, study, series, out, seg, rt = sys.argv[1:7]
        for modality, local in (("SEG", seg), ("RTSTRUCT", rt)):
            found = requests.get(base + "/dicom-web/series", params={"Modality": modality}).json()
            assert len(found) == 1 and found[0]["0020000D"]["Value"][0] == study, (modality, found)
            uid = found[0]["0020000E"]["Value"][0]
            r = requests.get(f"{base}/dicom-web/studies/{study}/series/{uid}", headers={"Accept": 'multipart/related; type="application/dicom"'})
            msg = email.message_from_bytes(b"Content-Type: " + r.headers["Content-Type"].encode() + b"\\r\\n\\r\\n" + r.content)
            parts = [p.get_payload(decode=True) for p in msg.walk() if p.get_content_type() == "application/dicom"]
            assert len(parts) == 1, len(parts)
            remote, mine = pydicom.dcmread(io.BytesIO(parts[0])), pydicom.dcmread(local)
            assert remote.SOPInstanceUID == mine.SOPInstanceUID
            if modality == "SEG":
                assert remote.ReferencedSeriesSequence[0].SeriesInstanceUID == series
                open(out, "wb").write(parts[0])
            else:
                ref = remote.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0].RTReferencedSeriesSequence[0]
                assert ref.SeriesInstanceUID == series
            print("HELD", modality)
        """, arguments: ["http://127.0.0.1:\(orthanc.httpPort)", study, seriesUID, path("fetched-seg.dcm"), path("seg.dcm"), path("rt.dcm")])
        XCTAssertTrue(check.contains("HELD SEG") && check.contains("HELD RTSTRUCT"), check)
        let script = TestData.repoRoot.appendingPathComponent("Tests/Interop/check_dicom_export.py").path
        let highdicom = try TestProcess.run("python3", [script, "seg", path("fetched-seg.dcm"), series, path("dimse.nrrd"), "1=x"])
        XCTAssertEqual(highdicom.status, 0, "highdicom reads the SEG fetched by WADO-RS with masks equal to the label map:\n\(highdicom.stdout)\(highdicom.stderr)")

        // Failures: one line naming the peer and what it said, exit 6.
        let port = orthanc.dicomPort
        let cases: [(args: [String], says: [String])] = [
            (["info", address, "--aet", "STRANGER"], ["dimse://ORTHANC@127.0.0.1:\(port)", "aborted the association", "our AE title STRANGER"]),
            (["info", "dimse://NOTORTHANC@127.0.0.1:\(port)/\(seriesUID)"], ["association rejected", "Called AE Title Not Recognized"]),
            (["info", "dimse://ORTHANC@127.0.0.1:9/\(seriesUID)"], ["dimse://ORTHANC@127.0.0.1:9", "Connection refused"]),
            (["info", "\(orthanc.dimse)/1.2.3.4"], ["has no series 1.2.3.4"]),
            (["segment", address, "--box", box, "--name", "x", "-o", path("seg2.dcm"), "--push", "dimse://NOTORTHANC@127.0.0.1:\(port)"],
             ["association rejected", "seg2.dcm is written and stays"]),
            (["segment", series, "--box", box, "--name", "x", "-o", path("seg3.dcm"), "--push", orthanc.dimse, "--aet", "STRANGER"],
             ["aborted the association", "our AE title STRANGER", "seg3.dcm is written and stays"]),
        ]
        for c in cases {
            let r = try voxsam(c.args, tmp: tmp)
            XCTAssertEqual(r.status, 6, "\(c.args): \(r.stderr)")
            for s in c.says { XCTAssertTrue(r.stderr.contains(s), "\(c.args): wanted \(s): \(r.stderr)") }
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.contains("error:") }.count, 1, r.stderr)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("seg2.dcm")) && FileManager.default.fileExists(atPath: path("seg3.dcm")))
        for bad in ["dimse://127.0.0.1:104/1.2", "dimse://ORTHANC@127.0.0.1:0/1.2", "dimse://ORTHANC@127.0.0.1:104/1.2/../x",
                    "dimse://AN_AE_TITLE_LONGER_THAN_16@h:104/1.2"] {
            let r = try voxsam(["info", bad], tmp: tmp)
            XCTAssertEqual(r.status, 2, "\(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("dimse://AET@HOST:PORT") || r.stderr.contains("AE title"), r.stderr)
        }
        // A file-size limit while the series arrives: a write error (exit 3), the private folder gone.
        let limited = try TestProcess.run("/usr/bin/prlimit", ["--fsize=200000", Self.exe, "info", address], environment: ["TMPDIR": tmp.path])
        XCTAssertEqual(limited.status, 3, limited.stderr)
        XCTAssertTrue(limited.stderr.contains("cannot be written to the temporary folder"), limited.stderr)
        let env = try TestProcess.run(Self.exe, ["info", address], environment: ["TMPDIR": tmp.path, "VOXSAM_AET": "STRANGER"])
        XCTAssertEqual(env.status, 6, "VOXSAM_AET is our AE title: \(env.stderr)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "the fetched series are removed")
    }

    /// A study list: series on the PACS by DIMSE and by DICOMweb, fetched one at a time into private
    /// folders that are gone afterwards; masks equal to segmenting the folder; an unknown series is
    /// recorded failed with the peer's answer while the others go on; `--resume` fetches again and
    /// finds them up to date.
    func testBatchFromStudyList() throws {
        let (root, tmp, orthanc) = try startedPACS()
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let (series, study, seriesUID) = try orthanc.feedSample()
        try Data("""
        # the same series twice, and one the PACS does not have
        by-dimse \(orthanc.dimse)/\(seriesUID)
        by-web\t\(orthanc.root)/studies/\(study)/series/\(seriesUID)

        missing \(orthanc.dimse)/1.2.3.4
        """.utf8).write(to: URL(fileURLWithPath: path("list.txt")))
        let entries = ["by-dimse", "by-web", "missing"].map { #"{"study": "\#($0)", "objects": [{"name": "x", "box": [200, 200, 0, 300, 300, 2]}]}"# }
        try Data(#"{"studies": [\#(entries.joined(separator: ", "))]}"#.utf8).write(to: URL(fileURLWithPath: path("prompts.json")))
        let args = ["batch", path("list.txt"), "--prompts", path("prompts.json"), "--output", path("out"), "--outputs", "nifti,dicom-seg", "--jobs", "2"]
        let first = try voxsam(args, tmp: tmp)
        XCTAssertEqual(first.status, 5, first.stderr)
        XCTAssertTrue(first.stderr.contains("missing: FAILED: \(orthanc.dimse): the peer has no series 1.2.3.4"), first.stderr)
        let local = try voxsam(["segment", series, "--box", "200,200,0,300,300,2", "--name", "x", "-o", path("local.nii.gz"), "--quiet"], tmp: tmp)
        XCTAssertEqual(local.status, 0, local.stderr)
        let expected = try VolumeReader.read(path: path("local.nii.gz"))
        for s in ["by-dimse", "by-web"] {
            let v = try VolumeReader.read(path: path("out/\(s)/labels.nii.gz"))
            XCTAssertTrue(v.voxels == expected.voxels, s)
            XCTAssertEqual(v.geometry, expected.geometry, s)
        }
        let manifest = try String(contentsOfFile: path("out/manifest.jsonl"), encoding: .utf8)
        XCTAssertTrue(manifest.contains(#""image":"\#(orthanc.dimse)/\#(seriesUID)""#), manifest)
        XCTAssertFalse(manifest.contains(tmp.path), "records name the address, never the private folder")
        let again = try voxsam(args + ["--resume"], tmp: tmp)
        XCTAssertEqual(again.status, 5, again.stderr)
        XCTAssertTrue(again.stderr.contains("by-dimse: up to date\n") && again.stderr.contains("by-web: up to date\n"), again.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "the fetched series are removed")
        let bad = try voxsam(["batch", path("prompts.json"), "--prompts", path("prompts.json"), "--output", path("out2")], tmp: tmp)
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("prompts.json: line 1: expected `NAME ADDRESS`"), bad.stderr)
    }

    /// `voxsam serve --pacs`: an image named by its SeriesInstanceUID (as OHIF's MONAI Label mode names
    /// images) is fetched from the PACS on the first infer; OHIF's point prompts (no `roi`, two
    /// foreground clicks, their extent) give the box. The request is shaped as OHIF v3's
    /// MonaiLabelClient.infer sends it (read from its source; OHIF itself does not run here).
    func testServeFetchesSeriesNamedByUID() throws {
        let (root, _, orthanc) = try startedPACS()
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let (series, _, seriesUID) = try orthanc.feedSample()
        let server = try ServeTests.Server(self, folder: root, arguments: ["--pacs", orthanc.root, "--cors-origin", "http://localhost:3000"])
        let reply = try TestProcess.python("""
        import json, sys, requests
        url, token, uid, out = sys.argv[1:5]
        auth = {"Authorization": "Bearer " + token}
        # The first click (on the middle slice, as voxsam segment starts) picks the start slice.
        params = {"foreground": [[250, 250, 1], [200, 200, 0], [300, 300, 2]], "background": [], "result_extension": ".nrrd",
                  "result_dtype": "uint8", "result_compress": False, "restore_label_idx": False}
        r = requests.post(f"{url}/infer/voxsam", params={"image": uid, "output": "image"}, headers=auth,
                          files={"params": (None, json.dumps(params))})
        print("FIRST", r.status_code)
        open(out, "wb").write(r.content)
        params["roi"] = [210, 290, 210, 290, 0, 2]
        r = requests.post(f"{url}/infer/voxsam", params={"image": uid, "output": "json"}, headers=auth,
                          files={"params": (None, json.dumps(params))})
        print("SECOND", r.status_code, r.json().get("encoded_slices") if r.status_code == 200 else r.text)
        r = requests.post(f"{url}/infer/voxsam", params={"image": "1.2.3.4", "output": "image"}, headers=auth,
                          files={"params": (None, json.dumps(params))})
        print("UNKNOWN", r.status_code, r.text)
        for name, clicks in (("ONE", [[250, 250, 1]]), ("NARROW", [[250, 250, 0], [251, 252, 2]])):
            p = {"foreground": clicks, "background": []}
            r = requests.post(f"{url}/infer/voxsam", params={"image": uid, "output": "image"}, headers=auth,
                              files={"params": (None, json.dumps(p))})
            print(name, r.status_code, r.text)
        """, arguments: [server.url, ServeTests.token, seriesUID, path("ohif.nrrd")])
        XCTAssertTrue(reply.contains("FIRST 200"), reply + server.stderr)
        XCTAssertTrue(reply.contains("SECOND 200 0"), "the fetched image stays, with its embeddings: \(reply)")
        XCTAssertTrue(reply.contains("UNKNOWN 404") && reply.contains("the PACS has no such series"), reply)
        XCTAssertTrue(reply.contains("ONE 400") && reply.contains("at least two foreground clicks"), reply)
        XCTAssertTrue(reply.contains("NARROW 400") && reply.contains("span less than 5 voxels"), reply)
        let local = try voxsam(["segment", series, "--box", "200,200,0,300,300,2", "-o", path("local.nrrd"), "--quiet"], tmp: root)
        XCTAssertEqual(local.status, 0, local.stderr)
        let a = try VolumeReader.read(path: path("local.nrrd")), b = try VolumeReader.read(path: path("ohif.nrrd"))
        XCTAssertTrue(a.voxels == b.voxels, "the clicks' extent is the box")
        XCTAssertEqual(a.geometry, b.geometry)
        XCTAssertFalse(server.stderr.contains(seriesUID), "logs carry no identifiers")
    }

    /// Orthanc stops in the middle of a batch: the studies after it are recorded `push_failed` with
    /// their outputs kept; once it is back, `--resume` sends exactly those, without segmenting again,
    /// and Orthanc holds each result once. By STOW-RS and by C-STORE.
    func testBatchPushFailedThenResumed() throws {
        try batchPushFailedThenResumed(dimse: false)
    }

    func testBatchPushByCStoreFailedThenResumed() throws {
        try batchPushFailedThenResumed(dimse: true)
    }

    func batchPushFailedThenResumed(dimse: Bool) throws {
        try requirePeers()
        let root = try TestData.temporaryFolder(self)
        let orthanc = try Orthanc(self, folder: root)
        let studies = root.appendingPathComponent("studies")
        let series = TestData.sampleData.appendingPathComponent("dicom-ct3").path
        for s in ["s1", "s2", "s3"] {
            try FileManager.default.createDirectory(at: studies.appendingPathComponent(s), withIntermediateDirectories: true)
            for f in ["01.dcm", "02.dcm", "03.dcm"] {
                try FileManager.default.copyItem(atPath: "\(series)/\(f)", toPath: studies.appendingPathComponent("\(s)/\(f)").path)
            }
        }
        let prompts = root.appendingPathComponent("prompts.json")
        let entries = ["s1", "s2", "s3"].map { #"{"study": "\#($0)", "objects": [{"name": "x", "box": [200, 200, 0, 300, 300, 2]}]}"# }
        try Data(#"{"studies": [\#(entries.joined(separator: ", "))]}"#.utf8).write(to: prompts)
        let out = root.appendingPathComponent("out")
        let args = ["batch", studies.path, "--prompts", prompts.path, "--output", out.path, "--outputs", "dicom-seg,confidence-json",
                    "--push", dimse ? orthanc.dimse : orthanc.root, "--jobs", "1"]

        // First run: Orthanc goes away once s1 is recorded.
        let batch = Process()
        batch.executableURL = URL(fileURLWithPath: Self.exe)
        batch.arguments = args
        let errFile = root.appendingPathComponent("batch1.err")
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        batch.standardError = try FileHandle(forWritingTo: errFile)
        batch.standardOutput = FileHandle.nullDevice
        try batch.run()
        let deadline = Date().addingTimeInterval(120)
        func recorded() -> String {
            let dir = out.appendingPathComponent("manifests").path
            return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                .compactMap { try? String(contentsOfFile: "\(dir)/\($0)", encoding: .utf8) }.joined()
        }
        while !recorded().contains(#""study":"s1""#), batch.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        orthanc.kill()
        batch.waitUntilExit()
        let err1 = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        XCTAssertEqual(batch.terminationStatus, 5, err1)
        func manifest() throws -> [String: [String: Any]] {
            let text = try String(contentsOf: out.appendingPathComponent("manifest.jsonl"), encoding: .utf8)
            var byStudy: [String: [String: Any]] = [:]
            for line in text.split(separator: "\n") {
                let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                byStudy[r["study"] as! String] = r
            }
            return byStudy
        }
        var m = try manifest()
        XCTAssertEqual(m["s1"]?["status"] as? String, "done", err1)
        XCTAssertEqual((m["s1"]?["push"] as? [String: Any])?["status"] as? String, "sent")
        // s2 may still have been sent while Orthanc went down; s3 cannot have been.
        let unsent = ["s2", "s3"].filter { m[$0]?["status"] as? String == "push_failed" }
        XCTAssertTrue(unsent.contains("s3"), err1)
        for s in unsent {
            XCTAssertEqual(m[s]?["status"] as? String, "push_failed", err1)
            let answer = (m[s]?["push"] as? [String: Any])?["answer"] as? String ?? ""
            XCTAssertTrue(answer.contains(dimse ? "Connection refused" : "cannot be reached"), answer)
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(s)/seg.dcm").path), "the outputs stay")
        }

        // Orthanc is back: --resume sends exactly those, segmenting nothing.
        try orthanc.start()
        let second = try TestProcess.run(Self.exe, args + ["--resume"])
        XCTAssertEqual(second.status, 0, second.stderr)
        for s in ["s1", "s2", "s3"] {
            XCTAssertTrue(second.stderr.contains(unsent.contains(s) ? "\(s): up to date; sent to" : "\(s): up to date\n"), second.stderr)
        }
        XCTAssertTrue(second.stderr.contains("0 done, 3 up to date"), second.stderr)
        m = try manifest()
        for s in ["s1", "s2", "s3"] { XCTAssertEqual(m[s]?["status"] as? String, "done") }
        let held = try TestProcess.python("""
        import sys, requests, pydicom
        base, out = sys.argv[1:3]
        found = requests.get(base + "/dicom-web/instances", params={"Modality": "SEG"}).json()
        remote = sorted(i["00080018"]["Value"][0] for i in found)
        local = sorted(pydicom.dcmread(f"{out}/{s}/seg.dcm").SOPInstanceUID for s in ["s1", "s2", "s3"])
        print("HELD", len(remote), remote == local)
        """, arguments: ["http://127.0.0.1:\(orthanc.httpPort)", out.path])
        XCTAssertTrue(held.contains("HELD 3 True"), "each result once: \(held)")
    }
}
