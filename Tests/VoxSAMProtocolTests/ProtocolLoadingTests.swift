import XCTest
import VoxSAMCore
@testable import VoxSAMProtocol

/// Valid protocols: defaults, built-in codes, the shipped files and `voxsam protocol check`.
final class ProtocolLoadingTests: XCTestCase {
    typealias S = ProtocolTestSupport

    func testMinimalProtocolTakesDefaultsAndBuiltinCodes() throws {
        let p = try SegmentationProtocol.parse(S.valid, path: S.testPath)
        XCTAssertEqual(p.name, "test")
        XCTAssertEqual(p.modality, .ct)
        XCTAssertEqual(p.window, .widthLevel(width: 400, level: 40))
        XCTAssertEqual(p.propagation, ProtocolPropagation())
        XCTAssertEqual(p.outputs, StudyOutput.defaults)
        XCTAssertEqual(p.structures.map(\.label), [1, 2])
        XCTAssertEqual(p.structures[0].type, CodedConcept("10200004", "SCT", "Liver"))
        XCTAssertEqual(p.structures[0].category, CodedConcept("123037004", "SCT", "Anatomical Structure"))
        XCTAssertEqual(p.structures[1].type.value, "78961009")
        XCTAssertEqual(p.sha256, SHA256.hex(of: Array(S.valid.utf8)))
    }

    func testFullProtocol() throws {
        let text = """
            name: full
            description: everything
            modality: mr
            window: p1,99
            series_description: t1 post
            propagation: {mode: adaptive, low_confidence: 0.5, axis: j}
            outputs: [nrrd, seg-nrrd, confidence-csv]
            structures:
              - name: Whole Tumour
                label: 300
                color: [1, 2, 3]
                category: {value: "49755003", scheme: SCT, meaning: Morphologically Altered Structure}
                type: {value: "108369006", scheme: SCT, meaning: Neoplasm}
                anatomic_region: {value: "12738006", scheme: SCT, meaning: Brain}
              - name: kidney left
                label: 2
            """
        let p = try SegmentationProtocol.parse(text, path: S.testPath)
        XCTAssertEqual(p.modality, .mr)
        XCTAssertEqual(p.window, .percentile(low: 1, high: 99))
        XCTAssertEqual(p.seriesDescription, "t1 post")
        XCTAssertEqual(p.propagation, ProtocolPropagation(mode: .adaptive, lowConfidence: 0.5, axis: SliceAxis(1)))
        XCTAssertEqual(p.outputs, [.labelMap(.nrrd), .labelMap(.segNRRD), .confidenceCSV])
        let t = try XCTUnwrap(p.structure(label: 300))
        XCTAssertEqual(t.color, RGB(1, 2, 3))
        XCTAssertEqual(t.anatomicRegion?.meaning, "Brain")
        let k = try XCTUnwrap(p.structure(named: "KIDNEY_LEFT"))
        XCTAssertEqual(k.type.value, "64033007")
        XCTAssertEqual(k.typeModifier, CodedConcept("7771000", "SCT", "Left"))
    }

    func testWindowSyntax() throws {
        // The one window grammar (Window.parse in VoxSAMCore); its text round-trips.
        XCTAssertEqual(try Window.parse("400, 40"), .widthLevel(width: 400, level: 40))
        XCTAssertEqual(try Window.parse("400, 40").text, "400,40")
        XCTAssertEqual(try Window.parse("Lung"), .widthLevel(width: 1500, level: -600))
        XCTAssertEqual(try Window.parse("p0.5,99.5"), .percentile(low: 0.5, high: 99.5))
        for t in Window.presetNames + ["400,40", "p1,99", "5.5,-12.25"] {
            let w = try Window.parse(t)
            XCTAssertEqual(try Window.parse(w.text), w, t)
        }
        XCTAssertThrowsError(try Window.parse("0,40"))
        XCTAssertThrowsError(try Window.parse("400,40,3"))
        XCTAssertThrowsError(try Window.parse("nan,40"))
    }

    /// The shipped protocols load (this is what `voxsam protocol check` and `list` run) and say what they should.
    func testShippedProtocolsLoad() throws {
        let dir = try XCTUnwrap(ProtocolLibrary.directory(environment: [:], executable: nil, currentDirectory: S.repoRoot.path))
        XCTAssertEqual(URL(fileURLWithPath: dir).standardizedFileURL.path, URL(fileURLWithPath: S.protocolsDir).standardizedFileURL.path)
        let items = ProtocolLibrary.items(in: dir)
        XCTAssertGreaterThanOrEqual(items.count, 2)
        var byName: [String: SegmentationProtocol] = [:]
        for i in items {
            switch i.result {
            case .success(let p): byName[p.name] = p
            case .failure(let e): XCTFail("\(i.path): \(e)")
            }
        }
        let abdomen = try XCTUnwrap(byName["ct-abdomen"])
        XCTAssertEqual(abdomen.modality, .ct)
        XCTAssertEqual(abdomen.window, .widthLevel(width: 400, level: 40))
        XCTAssertEqual(abdomen.structure(label: 1)?.name, "liver")
        XCTAssertEqual(abdomen.structure(label: 2)?.name, "spleen")
        // Codes written out in the file agree with the built-in table.
        for s in abdomen.structures {
            let b = try XCTUnwrap(BuiltinTerminology.entry(named: s.name), s.name)
            XCTAssertEqual(s.type, b.type, s.name)
            XCTAssertEqual(s.category, b.category, s.name)
            XCTAssertEqual(s.typeModifier, b.typeModifier, s.name)
        }
        let brain = try XCTUnwrap(byName["mr-brain-tumour"])
        XCTAssertEqual(brain.modality, .mr)
        XCTAssertEqual(brain.window, .percentile(low: 0.5, high: 99.5))
        XCTAssertEqual(brain.structure(label: 1)?.type.value, "108369006")
        XCTAssertEqual(brain.structure(label: 1)?.category.value, "49755003")
        // File names match protocol names, so `--protocol NAME` finds them.
        for i in items { if case .success(let p) = i.result { XCTAssertEqual(URL(fileURLWithPath: i.path).deletingPathExtension().lastPathComponent, p.name) } }
    }

    func testLibraryFindsTheFolderFromTheEnvironmentAndFromAnExecutable() throws {
        XCTAssertEqual(ProtocolLibrary.directory(environment: ["VOXSAM_PROTOCOLS_DIR": "/x/y"], executable: nil, currentDirectory: "/"), "/x/y")
        let exe = S.repoRoot.appendingPathComponent(".build/release/voxsam").path
        let found = ProtocolLibrary.directory(environment: [:], executable: exe, currentDirectory: "/")
        XCTAssertEqual(found.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, URL(fileURLWithPath: S.protocolsDir).standardizedFileURL.path)
    }

    /// `voxsam protocol check` on every shipped protocol exits 0; on a bad one exits 2 with `FILE:LINE: FIELD:`.
    func testProtocolCheckCommand() throws {
        let exe = try S.voxsamExecutable()
        for path in ProtocolLibrary.yamlFiles(in: S.protocolsDir) {
            let (status, out, err) = try S.run(exe, ["protocol", "check", path])
            XCTAssertEqual(status, 0, "\(path): \(err)")
            XCTAssertTrue(out.contains(": ok"), out)
        }
        let (ls, lout, lerr) = try S.run(exe, ["protocol", "list"], environment: ["VOXSAM_PROTOCOLS_DIR": S.protocolsDir])
        XCTAssertEqual(ls, 0, lerr)
        XCTAssertTrue(lout.contains("ct-abdomen") && lout.contains("mr-brain-tumour"), lout)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-proto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.yaml").path
        try Data("name: bad\nmodality: CT\nstructures:\n  - name: liver\n    label: 1\n  - name: spleen\n    label: 2\n  - name: pancreas\n    label: 0\n".utf8)
            .write(to: URL(fileURLWithPath: bad))
        let (status, _, err) = try S.run(exe, ["protocol", "check", bad])
        XCTAssertEqual(status, 2)
        XCTAssertEqual(err.trimmingCharacters(in: .whitespacesAndNewlines),
                       "voxsam: error: \(bad):9: structures[2].label: 0 is not a label value (1…65535; 0 is the background)")
    }
}
