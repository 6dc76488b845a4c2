import Foundation
import XCTest
import VoxSAMTestSupport
@testable import VoxSAMExport
import VoxSAMProtocol
import VoxSAMCore

final class LabelDescriptionTests: XCTestCase {
    func testSidecarNames() {
        let cases: [(String, String)] = [
            ("/o/liver.nii.gz", "/o/liver"), ("/o/liver.NII.GZ", "/o/liver"), ("/o/a.b.nii", "/o/a.b"),
            ("/o/seg.nrrd", "/o/seg"), ("/o/seg.seg.nrrd", "/o/seg"), ("/o/x.nhdr", "/o/x"), ("/o/x.hdr", "/o/x"),
            ("/o/x.npz", "/o/x"), ("/o/x.mha", "/o/x"), ("/o/x.tiff", "/o/x"), ("/o/noext", "/o/noext"), ("rel/y.nii.gz", "rel/y"),
        ]
        for (input, stem) in cases {
            let p = LabelDescriptionFiles.paths(besides: input)
            let base = stem  // beside the label map as given (a relative path stays relative)
            XCTAssertEqual(p.json, base + ".labels.json", input)
            XCTAssertEqual(p.itksnap, base + ".itksnap.txt", input)
        }
    }

    func testJSONAndITKSNAPRoundTrip() throws {
        let dir = try TestData.temporaryFolder(self)
        let segments = SlicerSegNRRDTests.segments()
        let map = dir.appendingPathComponent("case.nii.gz").path
        let p = try LabelDescriptionFiles.write(segments: segments, besides: map)
        XCTAssertEqual(TestData.listing(dir), ["case.itksnap.txt", "case.labels.json"])
        XCTAssertEqual(try LabelDescriptionFiles.readJSON(path: p.json), segments.sorted { $0.label < $1.label })

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p.json))) as! [String: Any]
        XCTAssertEqual(json["format"] as? String, "voxsam-labels")
        XCTAssertEqual(json["version"] as? Int, 1)
        XCTAssertEqual(json["labelMap"] as? String, "case.nii.gz")
        XCTAssertEqual(json["background"] as? Int, 0)
        let labels = json["labels"] as! [[String: Any]]
        XCTAssertEqual(labels.map { $0["label"] as? Int }, [1, 2, 5])
        XCTAssertEqual(labels[0]["color"] as? [Int], [221, 130, 101])
        XCTAssertEqual(labels[0]["type"] as? [String: String], ["scheme": "SCT", "value": "10200004", "meaning": "Liver"])
        XCTAssertNil(labels[0]["anatomicRegion"])
        XCTAssertEqual((labels[1]["anatomicRegion"] as? [String: String])?["meaning"], "Liver")
        XCTAssertEqual((labels[2]["typeModifier"] as? [String: String])?["value"], "7771000")

        let rows = try LabelDescriptionFiles.readITKSNAP(path: p.itksnap)
        XCTAssertEqual(rows.map(\.label), [0, 1, 2, 5])
        XCTAssertEqual(rows.map(\.name), ["Clear Label", "liver", "tumour 'A'", "kidney (left)"])
        XCTAssertEqual(rows[1].color, RGB(221, 130, 101))
        XCTAssertEqual(rows[0].alpha, 0); XCTAssertEqual(rows[1].alpha, 1)
        XCTAssertFalse(rows[0].visible); XCTAssertTrue(rows[1].visible && rows[1].meshVisible)
    }

    func testITKSNAPTextIsTheLayoutITKSNAPWrites() {
        let text = LabelDescriptionFiles.itksnapText(segments: [
            SegmentDescription(label: 1, name: "liver", color: RGB(221, 130, 101), category: SlicerSegNRRDTests.anatomy,
                               type: CodedConcept("10200004", "SCT", "Liver")),
            SegmentDescription(label: 1234, name: "x", color: RGB(0, 5, 255), category: SlicerSegNRRDTests.anatomy,
                               type: CodedConcept("1", "SCT", "x")),
        ])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, 18)
        XCTAssertEqual(lines[0], String(repeating: "#", count: 48))
        XCTAssertEqual(lines[1], "# ITK-SnAP Label Description File")
        XCTAssertEqual(lines[2], "# File format: ")
        XCTAssertEqual(lines[3], "# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL")
        XCTAssertEqual(lines[12], "#  LABEL:   Label description ")
        XCTAssertEqual(lines[13], String(repeating: "#", count: 48))
        XCTAssertEqual(lines[14], "    0     0    0    0        0  0  0    \"Clear Label\"")
        XCTAssertEqual(lines[15], "    1   221  130  101        1  1  1    \"liver\"")
        XCTAssertEqual(lines[16], "  1234     0    5  255        1  1  1    \"x\"")
        XCTAssertEqual(lines[17], "")
    }

    func testBadSegmentsAndMissingFolderLeaveNothing() throws {
        let dir = try TestData.temporaryFolder(self)
        let map = dir.appendingPathComponent("m.nii.gz").path
        var s = SlicerSegNRRDTests.segments()
        s[1].name = "  "
        TestData.assertError(.invalidArgument, mentioning: "empty name") { try LabelDescriptionFiles.write(segments: s, besides: map) }
        s = SlicerSegNRRDTests.segments(); s[2].label = 70000
        TestData.assertError(.invalidArgument, mentioning: "70000") { try LabelDescriptionFiles.write(segments: s, besides: map) }
        TestData.assertError(.writeFailed, mentioning: "does not exist") {
            try LabelDescriptionFiles.write(segments: SlicerSegNRRDTests.segments(), besides: dir.appendingPathComponent("no/m.nii.gz").path)
        }
        XCTAssertEqual(TestData.listing(dir), [])
        // Rewriting replaces both files.
        try LabelDescriptionFiles.write(segments: SlicerSegNRRDTests.segments(), besides: map)
        let p = try LabelDescriptionFiles.write(segments: [SlicerSegNRRDTests.segments()[1]], besides: map)
        XCTAssertEqual(try LabelDescriptionFiles.readJSON(path: p.json).map(\.label), [1])
        XCTAssertEqual(TestData.listing(dir), ["m.itksnap.txt", "m.labels.json"])
    }

    func testReadersRefuseBrokenFiles() throws {
        let dir = try TestData.temporaryFolder(self)
        let j = dir.appendingPathComponent("x.labels.json")
        try Data("{\"format\": \"other\", \"version\": 1, \"labelMap\": \"\", \"background\": 0, \"labels\": []}".utf8).write(to: j)
        TestData.assertError(.unsupportedFormat, mentioning: "voxsam-labels") { _ = try LabelDescriptionFiles.readJSON(path: j.path) }
        try Data("[1,2]".utf8).write(to: j)
        TestData.assertError(.corruptFile, mentioning: "not a VoxSAM label description") { _ = try LabelDescriptionFiles.readJSON(path: j.path) }
        let t = dir.appendingPathComponent("x.itksnap.txt")
        try Data("# c\n 1 2 3 \"a\"\n".utf8).write(to: t)
        TestData.assertError(.corruptFile, mentioning: "line 2") { _ = try LabelDescriptionFiles.readITKSNAP(path: t.path) }
    }
}
