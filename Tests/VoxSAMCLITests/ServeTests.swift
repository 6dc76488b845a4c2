import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMTestSupport
import XCTest
@testable import VoxSAMCLI

/// `voxsam serve` against MONAI Label's own Python client (`monailabel.client.MONAILabelClient`,
/// the code its 3D Slicer plugin uses; `pip install --no-deps monailabel==0.8.5` plus `requests`):
/// the label maps it returns equal `voxsam segment`'s for the same boxes, a second ROI on the same
/// image encodes no slice again, and bad requests get a 4xx JSON error while the server goes on.
final class ServeTests: XCTestCase {
    static let exe = TestData.repoRoot.appendingPathComponent(".build/release/voxsam").path
    static let token = "s3cret-token-for-tests"

    /// A `voxsam serve` process on a free port, stopped at the end of the test.
    final class Server {
        let process = Process()
        let port: Int
        let log: URL

        init(_ test: XCTestCase, folder: URL, arguments: [String] = []) throws {
            log = folder.appendingPathComponent("serve.err")
            let out = folder.appendingPathComponent("serve.out")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            try Data(ServeTests.token.utf8).write(to: folder.appendingPathComponent("token"))
            process.executableURL = URL(fileURLWithPath: ServeTests.exe)
            process.arguments = ["serve", "--port", "0", "--datastore", folder.appendingPathComponent("datastore").path,
                                 "--token-file", folder.appendingPathComponent("token").path] + arguments
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: log)
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            var port: Int?
            while port == nil, Date() < deadline, process.isRunning {
                let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
                if let r = text.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    port = Int(text[r].split(separator: ":").last!)
                } else {
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
            guard let port else {
                process.terminate()
                throw XCTSkip("voxsam serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            self.port = port
            test.addTeardownBlock { [process] in
                process.terminate()
                process.waitUntilExit()
            }
        }

        var url: String { "http://127.0.0.1:\(port)" }
        var stderr: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    }

    func requireServe() throws {
        guard (try? ModelCheck.installed()) == true else {
            print("skipped: the LiteMedSAM checkpoint is not installed (voxsam model fetch)")
            throw XCTSkip("the LiteMedSAM checkpoint is not installed")
        }
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.exe), "needs .build/release/voxsam (swift build -c release --product voxsam)")
        let check = try TestProcess.run("python3", ["-c", "import requests, monailabel.client"])
        if check.status != 0 {
            print("skipped: the MONAI Label client is not installed (scripts/setup-interop.sh)")
            throw XCTSkip("the MONAI Label client is not installed (pip install --no-deps monailabel==0.8.5 requests)")
        }
    }

    /// Expected label map: `voxsam segment` on the same image and box.
    func segment(_ image: String, box: [Int], name: String, extra: [String] = [], to out: String) throws {
        var cmd = try VoxSAMCommand.parseAsRoot(["segment", image, "-o", out, "--box", box.map(String.init).joined(separator: ","), "--name", name] + extra)
        try cmd.run()
    }

    func assertSameLabelMap(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try VolumeReader.read(path: a), y = try VolumeReader.read(path: b)
        XCTAssertEqual(x.geometry, y.geometry, "geometry", file: file, line: line)
        XCTAssertEqual(x.voxels, y.voxels, "\(a) and \(b) differ", file: file, line: line)
        XCTAssertGreaterThan(x.voxels.count, 0, file: file, line: line)
    }

    func testMONAILabelClientInferEqualsSegmentAndSecondROIEncodesNothing() throws {
        try requireServe()
        let root = try TestData.temporaryFolder(self)
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let server = try Server(self, folder: root)
        let image = TestData.sampleData.appendingPathComponent("ct/example_ct_sm.nii.gz").path
        let script = """
        import json, os, shutil, sys
        from monailabel.client import MONAILabelClient
        url, token, image, out, dicom, nrrd = sys.argv[1:7]
        c = MONAILabelClient(url, tmpdir=out)
        # The log-in of MONAI Label's Slicer plugin: /auth/ says auth is on, /auth/token gives the token.
        print("AUTH", c.auth_enabled())
        c.update_auth(c.auth_token("voxsam", token))
        print("VALID", c.auth_valid_token())
        info = c.info()
        print("MODELS", json.dumps(sorted(info["models"])))
        print("TYPE", info["models"]["voxsam"]["type"])
        # An ID as Slicer sends one: the volume's name.
        ID = "3: Ax T1 2.5mm"
        print("UPLOAD", json.dumps(c.upload_image(image, ID)))
        def infer(model, params, name, **kw):
            f, p = c.infer(model, ID, params, **kw)
            shutil.move(f, os.path.join(out, name))
            print("PARAMS", name, json.dumps(p, sort_keys=True))
        # The ROI as MONAI Label clients send it: [i0, i1, j0, j1, k0, k1], min/max not sorted.
        infer("voxsam", {"roi": [105, 44, 25, 83, 17, 11], "label": "liver", "result_extension": ".nii.gz"}, "liver.nii.gz")
        infer("voxsam", {"roi": [10, 34, 54, 22, 12, 15], "label": "spleen", "result_extension": ".nrrd"}, "spleen.nrrd")
        # A foreground click picks the start slice.
        infer("voxsam", {"roi": [44, 105, 25, 83, 11, 17], "label": "liver", "foreground": [[70, 50, 12]]}, "liver-k12.nii.gz")
        s = c.create_session(image)
        print("SESSION", s["session_id"])
        f, p = c.infer("ct-abdomen", "ignored", {"roi": [44, 105, 25, 83, 11, 17], "label": "liver"}, session_id=s["session_id"])
        shutil.move(f, os.path.join(out, "session-liver.nii.gz"))
        print("PARAMS", "session-liver.nii.gz", json.dumps(p, sort_keys=True))
        # A zipped DICOM series whose member names try to leave the folder.
        import zipfile
        z = os.path.join(out, "series.zip")
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
            for name, member in [("01.dcm", "../../evil.dcm"), ("02.dcm", "sub/02.dcm"), ("03.dcm", "/abs/03.dcm")]:
                f.write(os.path.join(dicom, name), member)
        print("ZIPUPLOAD", json.dumps(c.upload_image(z, "series1")))
        f, p = c.infer("voxsam", "series1", {"roi": [200, 300, 200, 300, 0, 2], "label": "x"})
        shutil.move(f, os.path.join(out, "dicom.nii.gz"))
        print("PARAMS", "dicom.nii.gz", json.dumps(p, sort_keys=True))
        import requests
        auth = {"Authorization": "Bearer " + token}
        r = requests.post(url + "/infer/voxsam", params={"image": ID, "output": "image"}, headers=auth,
                          files={"params": (None, json.dumps({"roi": [10, 34, 54, 22, 12, 15], "label": "spleen", "result_extension": ".nrrd"}))})
        open(os.path.join(out, "spleen-output-image.nrrd"), "wb").write(r.content)
        print("OUTPUTIMAGE", r.status_code, r.headers["Content-Type"])
        # Labels of `a` and `a.seg` stay apart (their files would have met at `a.seg.nrrd`).
        for i, name in [("a", "x.seg.nrrd"), ("a.seg", "y.nrrd")]:
            c.upload_image(image, i)
            path = os.path.join(out, name)
            open(path, "wb").write(("label of " + i).encode())
            c.save_label(i, path, tag="final")
        for i in ["a", "a.seg"]:
            r = requests.get(url + "/datastore/label", params={"label": i, "tag": "final"}, headers=auth)
            print("LABEL", i, r.status_code, r.content.decode())
        listing = requests.get(url + "/datastore/?output=all", headers=auth).json()
        print("LISTED", json.dumps(sorted(listing["objects"])), json.dumps(listing["objects"]["a"]["labels"], sort_keys=True))
        # A re-upload in another format replaces the image and what the server kept of it.
        c.upload_image(image, "again")
        c.infer("voxsam", "again", {"roi": [44, 105, 25, 83, 12, 12], "label": "liver"})
        c.upload_image(nrrd, "again")
        f, p = c.infer("voxsam", "again", {"roi": [44, 105, 25, 83, 12, 12], "label": "liver"})
        shutil.move(f, os.path.join(out, "again.nii.gz"))
        print("AGAIN", p["encoded_slices"])
        """
        let dicom = TestData.sampleData.appendingPathComponent("dicom-ct3").path
        var convert = try VoxSAMCommand.parseAsRoot(["convert", image, path("flipped.nrrd")])
        try convert.run()
        let result = try TestProcess.python(script, arguments: [server.url, Self.token, image, root.path, dicom, path("flipped.nrrd")])
        XCTAssertTrue(result.contains("AUTH True") && result.contains("VALID True"), result)
        XCTAssertTrue(result.contains("OUTPUTIMAGE 200 application/octet-stream"), result)
        XCTAssertTrue(result.contains("LABEL a 200 label of a\n") && result.contains("LABEL a.seg 200 label of a.seg\n"), result)
        XCTAssertTrue(result.contains(#"LISTED ["3: Ax T1 2.5mm", "a", "a.seg", "series1"] {"final": {"ext": ".seg.nrrd", "info": {}}}"#), result)
        XCTAssertTrue(result.contains("AGAIN 1"), "the re-uploaded image is read and encoded afresh: \(result)")
        XCTAssertTrue(result.contains(#"ZIPUPLOAD {"image": "series1"}"#), result)
        XCTAssertTrue(result.contains(#"MODELS ["ct-abdomen", "ct-thorax", "mr-brain-tumour", "voxsam"]"#), result)
        XCTAssertTrue(result.contains("TYPE deepgrow"), "the type whose Slicer section sends an ROI: \(result)")
        XCTAssertTrue(result.contains(#"UPLOAD {"image": "3: Ax T1 2.5mm"}"#), result)
        var params: [String: [String: Any]] = [:]
        for line in result.split(separator: "\n") where line.hasPrefix("PARAMS ") {
            let fields = line.split(separator: " ", maxSplits: 2)
            params[String(fields[1])] = try JSONSerialization.jsonObject(with: Data(fields[2].utf8)) as? [String: Any]
        }
        XCTAssertEqual(params.count, 5, result)

        try segment(image, box: [44, 25, 11, 105, 83, 17], name: "liver", to: path("segment-liver.nii.gz"))
        try segment(image, box: [10, 22, 12, 34, 54, 15], name: "spleen", to: path("segment-spleen.nrrd"))
        var keyed = try VoxSAMCommand.parseAsRoot(["segment", image, "-o", path("segment-liver-k12.nii.gz"), "--prompts", try promptsFile(root, keySlice: 12)])
        try keyed.run()
        try segment(image, box: [44, 25, 11, 105, 83, 17], name: "liver", extra: ["--protocol", "ct-abdomen"], to: path("segment-protocol-liver.nii.gz"))
        try assertSameLabelMap(path("liver.nii.gz"), path("segment-liver.nii.gz"))
        try assertSameLabelMap(path("spleen.nrrd"), path("segment-spleen.nrrd"))
        try assertSameLabelMap(path("liver-k12.nii.gz"), path("segment-liver-k12.nii.gz"))
        try assertSameLabelMap(path("session-liver.nii.gz"), path("segment-protocol-liver.nii.gz"))
        try segment(dicom, box: [200, 200, 0, 300, 300, 2], name: "x", to: path("segment-dicom.nii.gz"))
        try assertSameLabelMap(path("dicom.nii.gz"), path("segment-dicom.nii.gz"))
        try assertSameLabelMap(path("spleen-output-image.nrrd"), path("segment-spleen.nrrd"))
        try segment(path("flipped.nrrd"), box: [44, 25, 12, 105, 83, 12], name: "liver", to: path("segment-again.nii.gz"))
        try assertSameLabelMap(path("again.nii.gz"), path("segment-again.nii.gz"))
        // Zip member names never became paths.
        for p in ["evil.dcm", "datastore/evil.dcm", "datastore/images/evil.dcm", "abs"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(p)), p)
        }

        let first = try XCTUnwrap(params["liver.nii.gz"]), second = try XCTUnwrap(params["spleen.nrrd"])
        XCTAssertEqual(first["encoded_slices"] as? Int, 7)
        XCTAssertEqual(first["label_names"] as? [String: Int], ["liver": 1])
        // The second ROI lies on slices the first encoded: nothing is encoded again.
        XCTAssertEqual(second["encoded_slices"] as? Int, 0, "\(second)")
        XCTAssertEqual(second["cached_slices"] as? Int, 4, "\(second)")
        XCTAssertEqual(params["liver-k12.nii.gz"]?["start_slice"] as? Int, 12)
        XCTAssertEqual(params["liver-k12.nii.gz"]?["encoded_slices"] as? Int, 0)
        XCTAssertEqual(params["session-liver.nii.gz"]?["model"] as? String, "ct-abdomen")
        // Logs name images by a hash of the ID, never the ID, a path or the patient.
        XCTAssertFalse(server.stderr.contains("Ax T1"), server.stderr)
        XCTAssertFalse(server.stderr.contains(root.path), server.stderr)
    }

    func promptsFile(_ root: URL, keySlice: Int) throws -> String {
        let file = root.appendingPathComponent("prompts-k\(keySlice).json")
        try Data(#"{"objects": [{"name": "liver", "box": [44, 25, 11, 105, 83, 17], "key_slice": \#(keySlice)}]}"#.utf8).write(to: file)
        return file.path
    }

    func testBadRequestsGet4xxJSONAndTheServerGoesOn() throws {
        try requireServe()
        let root = try TestData.temporaryFolder(self)
        let server = try Server(self, folder: root, arguments: ["--max-upload-mb", "1", "--queue", "1"])
        let image = TestData.sampleData.appendingPathComponent("ct/example_ct_sm.nii.gz").path
        let script = """
        import json, sys, threading, time, requests
        url, token, image = sys.argv[1:4]
        auth = {"Authorization": "Bearer " + token}
        def show(name, r):
            try:
                body = r.json()
            except ValueError:
                body = None
            print("CASE", name, r.status_code, json.dumps(body, sort_keys=True), r.headers.get("Retry-After"))
            ok = requests.get(url + "/info/", headers=auth)
            print("NEXT", name, ok.status_code)
        params = lambda p: {"params": (None, json.dumps(p))}
        show("no-token", requests.get(url + "/info/"))
        show("wrong-token", requests.get(url + "/info/", headers={"Authorization": "Bearer nope"}))
        r = requests.put(url + "/datastore/?image=ct1", files={"file": ("ct.nii.gz", open(image, "rb").read())}, headers=auth)
        print("UPLOAD", r.status_code)
        show("oversized", requests.put(url + "/datastore/?image=big", files={"file": ("big.nii.gz", b"0" * (2 << 20))}, headers=auth))
        show("dotdot-upload", requests.put(url + "/datastore/?image=../../etc/passwd", files={"file": ("x.nii.gz", b"x")}, headers=auth))
        show("dotdot-infer", requests.post(url + "/infer/voxsam?image=../ct1", files=params({"roi": [0, 1, 0, 1, 0, 1]}), headers=auth))
        show("bad-ending", requests.put(url + "/datastore/?image=x", files={"file": ("x.exe", b"x")}, headers=auth))
        show("not-a-volume", requests.put(url + "/datastore/?image=junk", files={"file": ("junk.nii.gz", b"not a nifti")}, headers=auth))
        show("junk-infer", requests.post(url + "/infer/voxsam?image=junk", files=params({"roi": [0, 1, 0, 1, 0, 1]}), headers=auth))
        body = b"--XYZ\\r\\nContent-Disposition: form-data; name=\\"params\\"\\r\\n\\r\\n{}"  # never closed
        show("malformed-multipart", requests.post(url + "/infer/voxsam?image=ct1", data=body,
             headers=dict(auth, **{"Content-Type": "multipart/form-data; boundary=XYZ"})))
        show("not-multipart", requests.post(url + "/infer/voxsam?image=ct1", data=b"{}", headers=dict(auth, **{"Content-Type": "application/json"})))
        show("unknown-model", requests.post(url + "/infer/deepedit?image=ct1", files=params({"roi": [0, 1, 0, 1, 0, 1]}), headers=auth))
        show("unknown-image", requests.post(url + "/infer/voxsam?image=nope", files=params({"roi": [0, 1, 0, 1, 0, 1]}), headers=auth))
        show("no-roi", requests.post(url + "/infer/voxsam?image=ct1", files=params({"label": "liver"}), headers=auth))
        show("params-not-json", requests.post(url + "/infer/voxsam?image=ct1", files={"params": (None, "{roi")}, headers=auth))
        show("roi-outside", requests.post(url + "/infer/voxsam?image=ct1", files=params({"roi": [500, 600, 0, 10, 0, 3]}), headers=auth))
        show("unknown-structure", requests.post(url + "/infer/ct-abdomen?image=ct1", files=params({"roi": [44, 105, 25, 83, 12, 12], "label": "brain"}), headers=auth))
        import hashlib
        header = "NRRD0004\\ntype: short\\ndimension: 3\\nsizes: 4 4 4\\nencoding: raw\\ndata file: ../%s/image.nii.gz\\n\\n" % hashlib.sha256(b"ct1").hexdigest()
        r = requests.put(url + "/datastore/?image=evil", files={"file": ("evil.nrrd", header.encode())}, headers=auth)
        show("detached-nrrd", requests.post(url + "/infer/voxsam?image=evil", files=params({"roi": [0, 1, 0, 1, 0, 1]}), headers=auth))
        show("no-endpoint", requests.get(url + "/train/", headers=auth))
        show("wrong-password", requests.post(url + "/auth/token", data={"username": "x", "password": "nope", "grant_type": "password"}))
        show("unknown-session", requests.post(url + "/infer/voxsam?image=ct1&session_id=abc", files=params({"roi": [0, 1, 0, 1, 0, 1]}), headers=auth))
        # A full queue: one request runs (it encodes 5 slices), the next is refused at once.
        results = {}
        def slow():
            results["slow"] = requests.post(url + "/infer/voxsam?image=ct1", files=params({"roi": [44, 105, 25, 83, 6, 15]}), headers=auth)
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(1.0)
        show("queue-full", requests.post(url + "/infer/voxsam?image=ct1", files=params({"roi": [44, 105, 25, 83, 12, 12]}), headers=auth))
        t.join()
        print("SLOW", results["slow"].status_code)
        good = requests.post(url + "/infer/voxsam?image=ct1&output=json", files=params({"roi": [44, 105, 25, 83, 12, 13], "label": "liver"}), headers=auth)
        print("GOOD", good.status_code, json.dumps(good.json(), sort_keys=True))
        """
        let result = try TestProcess.python(script, arguments: [server.url, Self.token, image])
        let expected: [(String, Int)] = [
            ("no-token", 401), ("wrong-token", 401), ("oversized", 413), ("dotdot-upload", 400), ("dotdot-infer", 400),
            ("bad-ending", 415), ("not-a-volume", 200), ("junk-infer", 422), ("malformed-multipart", 400), ("not-multipart", 400),
            ("unknown-model", 404), ("unknown-image", 404), ("no-roi", 400), ("params-not-json", 400), ("roi-outside", 400),
            ("unknown-structure", 400), ("unknown-session", 404), ("queue-full", 503), ("detached-nrrd", 400), ("no-endpoint", 404),
            ("wrong-password", 401),
        ]
        for (name, status) in expected {
            let line = result.split(separator: "\n").first { $0.hasPrefix("CASE \(name) ") }.map(String.init) ?? ""
            XCTAssertTrue(line.hasPrefix("CASE \(name) \(status) "), "\(name): expected \(status): \(line)\n\(result)")
            if status != 200 {
                XCTAssertTrue(line.contains(#""detail": "#) && line.contains(#""status": \#(status)"#), "\(name): a JSON error: \(line)")
            }
            XCTAssertTrue(result.contains("NEXT \(name) 200"), "\(name): the next good request is served\n\(result)")
        }
        let busy = result.split(separator: "\n").first { $0.hasPrefix("CASE queue-full ") } ?? ""
        XCTAssertFalse(busy.hasSuffix(" None"), "503 carries Retry-After: \(busy)")
        XCTAssertTrue(result.contains("SLOW 200"), result)
        XCTAssertTrue(result.contains("GOOD 200"), result)
        XCTAssertTrue(result.contains(#""label_names": {"liver": 1}"#), result)
        // Nothing was written outside the datastore; the `../` upload wrote nothing at all.
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("datastore/etc").path))
        XCTAssertFalse(server.stderr.contains("passwd"), server.stderr)
        // No reply or log line carries the datastore's path.
        XCTAssertFalse(result.contains(root.path), result)
        XCTAssertFalse(server.stderr.contains(root.path), server.stderr)
    }
}
