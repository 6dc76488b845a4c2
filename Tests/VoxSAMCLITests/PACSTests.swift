import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMTestSupport
import XCTest
@testable import VoxSAMCLI

/// Series from a real PACS and results sent back to it: Orthanc (Debian `orthanc` + `orthanc-dicomweb`)
/// on loopback, fed by DCMTK's `storescu`. `voxsam info|convert|segment dicomweb://…` read the series
/// by WADO-RS into a private folder that is gone afterwards; `segment --push` sends the DICOM SEG by
/// STOW-RS, QIDO-RS finds it in the same study, and highdicom reads the SEG fetched back by WADO-RS
/// with masks equal to the local label map. Failures are one line naming the peer, exit code 6, and
/// the written result stays.
final class PACSTests: XCTestCase {
    static let exe = TestData.repoRoot.appendingPathComponent(".build/release/voxsam").path

    /// An Orthanc on free loopback ports with a private storage folder, stopped after the test.
    final class Orthanc {
        let process = Process()
        let httpPort: Int
        let dicomPort: Int

        init(_ test: XCTestCase, folder: URL) throws {
            let ports = try TestProcess.python("""
            import socket
            s = [socket.socket() for _ in range(2)]
            for x in s: x.bind(("127.0.0.1", 0))
            print(" ".join(str(x.getsockname()[1]) for x in s))
            """).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard ports.count == 2 else { throw XCTSkip("no free ports") }
            (httpPort, dicomPort) = (ports[0], ports[1])
            let config: [String: Any] = [
                "Name": "voxsam-test", "HttpPort": httpPort, "DicomPort": dicomPort, "DicomAet": "ORTHANC",
                "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
                "StorageDirectory": folder.appendingPathComponent("db").path, "IndexDirectory": folder.appendingPathComponent("db").path,
                "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"], "DicomWeb": ["Enable": true, "Root": "/dicom-web/"],
            ]
            let file = folder.appendingPathComponent("orthanc.json")
            try JSONSerialization.data(withJSONObject: config).write(to: file)
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/Orthanc")
            process.arguments = [file.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: { let l = folder.appendingPathComponent("orthanc.log"); _ = FileManager.default.createFile(atPath: l.path, contents: nil); return l }())
            try process.run()
            test.addTeardownBlock { [process] in process.terminate(); process.waitUntilExit() }
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if (try? Data(contentsOf: URL(string: "http://127.0.0.1:\(httpPort)/system")!)) != nil { return }
                Thread.sleep(forTimeInterval: 0.2)
            }
            throw XCTSkip("Orthanc did not start")
        }

        var root: String { "dicomweb://127.0.0.1:\(httpPort)/dicom-web" }
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

    func voxsam(_ args: [String], tmp: URL) throws -> TestProcess.Output {
        try TestProcess.run(Self.exe, args, environment: ["TMPDIR": tmp.path])
    }

    func testSeriesFromDICOMwebAndSEGBackByStow() throws {
        try requirePeers()
        let root = try TestData.temporaryFolder(self)
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let tmp = root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let orthanc = try Orthanc(self, folder: root)
        let series = TestData.sampleData.appendingPathComponent("dicom-ct3").path
        let files = ["01.dcm", "02.dcm", "03.dcm"].map { "\(series)/\($0)" }
        let store = try TestProcess.run("/usr/bin/storescu", ["-aec", "ORTHANC", "127.0.0.1", String(orthanc.dicomPort)] + files)
        XCTAssertEqual(store.status, 0, store.stderr)
        let uids = try TestProcess.python("""
        import sys, requests
        s = requests.get(sys.argv[1] + "/dicom-web/series").json()
        print(s[0]["0020000D"]["Value"][0], s[0]["0020000E"]["Value"][0])
        """, arguments: ["http://127.0.0.1:\(orthanc.httpPort)"]).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(uids.count, 2)
        let address = "\(orthanc.root)/studies/\(uids[0])/series/\(uids[1])"

        // info and segment read the series from the PACS as from the folder.
        let info = try voxsam(["info", address, "--json"], tmp: tmp)
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("512") && info.stdout.contains(address), info.stdout)
        let box = "200,200,0,300,300,2"
        for (input, out) in [(series, "folder.nrrd"), (address, "web.nrrd")] {
            let r = try voxsam(["segment", input, "--box", box, "--name", "x", "-o", path(out), "--quiet"], tmp: tmp)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let a = try VolumeReader.read(path: path("folder.nrrd")), b = try VolumeReader.read(path: path("web.nrrd"))
        XCTAssertEqual(a.geometry, b.geometry)
        XCTAssertEqual(a.voxels, b.voxels)

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
}
