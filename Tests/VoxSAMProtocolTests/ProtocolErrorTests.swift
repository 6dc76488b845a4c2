import XCTest
import VoxSAMCore
@testable import VoxSAMProtocol

/// Every kind of mistake in a protocol names the file, the line and the field.
final class ProtocolErrorTests: XCTestCase {
    typealias S = ProtocolTestSupport

    func testLabelOutOfRange() {
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
              - name: spleen
                label: 2
              - name: pancreas
                label: 0
            """, line: 9, field: "structures[2].label", mentioning: "0 is not a label value (1…65535; 0 is the background)")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - {name: liver, label: 70000}
            """, line: 4, field: "structures[0].label", mentioning: "70000 is not a label value")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: one
            """, line: 5, field: "structures[0].label", mentioning: "`one` is not a whole number")
    }

    func testUnknownKeys() {
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                colour: [1, 2, 3]
            """, line: 6, field: "structures[0].colour", mentioning: "unknown key", "did you mean `color`")
        S.assertError("""
            name: test
            modality: CT
            windw: abdomen
            structures:
              - {name: liver, label: 1}
            """, line: 3, field: "windw", mentioning: "unknown key", "`window`")
        S.assertError("""
            name: test
            modality: CT
            propagation:
              mode: reference
              lowconfidence: 0.5
            structures:
              - {name: liver, label: 1}
            """, line: 5, field: "propagation.lowconfidence", mentioning: "unknown key", "low_confidence")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                category: {value: "123037004", scheme: SCT, meaning: Anatomical Structure, version: 1}
                type: {value: "10200004", scheme: SCT, meaning: Liver}
            """, line: 6, field: "structures[0].category.version", mentioning: "unknown key")
    }

    func testDuplicates() {
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
              - name: spleen
                label: 1
            """, line: 6, field: "structures[1]", mentioning: "label 1 is already used by `liver` (line 4)")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
              - name: Liver
                label: 2
            """, line: 6, field: "structures[1]", mentioning: "name `Liver` is already used (line 4)")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                label: 2
            """, line: 5, field: "label", mentioning: "appears twice")
        S.assertError("""
            name: test
            modality: CT
            outputs: [nifti, qa-png, nifti]
            structures:
              - {name: liver, label: 1}
            """, line: 3, field: "outputs[2]", mentioning: "listed twice")
    }

    func testBadColours() {
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                color: [300, 0, 0]
            """, line: 6, field: "structures[0].color[0]", mentioning: "300 is not a colour component (0…255)")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                color: [10, 20]
            """, line: 6, field: "structures[0].color", mentioning: "has 2 values", "[r, g, b]")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                color: red
            """, line: 6, field: "structures[0].color", mentioning: "[r, g, b]")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                color: [1, -2, 3]
            """, line: 6, field: "structures[0].color[1]", mentioning: "-2 is not a colour component")
    }

    func testMissingFields() {
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
              - label: 2
                color: [1, 2, 3]
            """, line: 6, field: "structures[1].name", mentioning: "missing")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
            """, line: 4, field: "structures[0].label", mentioning: "missing", "1…65535")
        S.assertError("""
            name: test
            structures:
              - {name: liver, label: 1}
            """, line: 1, field: "modality", mentioning: "missing", "CT or MR")
        S.assertError("""
            modality: MR
            structures:
              - {name: liver, label: 1}
            """, line: 1, field: "name", mentioning: "missing")
        S.assertError("""
            name: test
            modality: CT
            """, line: 1, field: "structures", mentioning: "missing")
        S.assertError("""
            name: test
            modality: CT
            structures: []
            """, line: 3, field: "structures", mentioning: "no structures")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label:
            """, line: 5, field: "structures[0].label", mentioning: "has no value")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                category: {value: "123037004", scheme: SCT}
                type: {value: "10200004", scheme: SCT, meaning: Liver}
            """, line: 6, field: "structures[0].category.meaning", mentioning: "missing")
    }

    func testCodes() {
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: thing
                label: 1
            """, line: 4, field: "structures[0]", mentioning: "`thing` is not in the built-in terminology", "category", "type")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: thing
                label: 1
                type: {value: "10200004", scheme: SCT, meaning: Liver}
            """, line: 4, field: "structures[0].category", mentioning: "missing")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                category: {value: "123037004", scheme: SCT, meaning: Anatomical Structure}
                type: {value: "T-62000x", scheme: SCT, meaning: Liver}
            """, line: 7, field: "structures[0].type.value", mentioning: "not a SNOMED CT concept id")
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
                category: {value: "123037004", scheme: SCT, meaning: Anatomical Structure}
                type: {value: "12345678901234567", scheme: 99LOCAL, meaning: Liver}
            """, line: 7, field: "structures[0].type.value", mentioning: "longer than 16")
    }

    func testValues() {
        S.assertError("""
            name: test
            modality: PET
            structures:
              - {name: liver, label: 1}
            """, line: 2, field: "modality", mentioning: "`PET` is not one of CT, MR")
        S.assertError("""
            name: test
            modality: CT
            window: W400
            structures:
              - {name: liver, label: 1}
            """, line: 3, field: "window", mentioning: "not a window", "400,40")
        S.assertError("""
            name: test
            modality: MR
            window: p99,1
            structures:
              - {name: liver, label: 1}
            """, line: 3, field: "window", mentioning: "0 <= low < high <= 100")
        S.assertError("""
            name: test
            modality: CT
            outputs: [nifti, dicom]
            structures:
              - {name: liver, label: 1}
            """, line: 3, field: "outputs[1]", mentioning: "`dicom` is not one of", "dicom-seg")
        S.assertError("""
            name: test
            modality: CT
            outputs: [qa-png]
            structures:
              - {name: liver, label: 1}
            """, line: 3, field: "outputs", mentioning: "writes no segmentation")
        S.assertError("""
            name: test
            modality: CT
            propagation: {mode: fast}
            structures:
              - {name: liver, label: 1}
            """, line: 3, field: "propagation.mode", mentioning: "`fast` is not one of reference, adaptive")
        S.assertError("""
            name: test
            modality: CT
            propagation:
              low_confidence: 1.5
            structures:
              - {name: liver, label: 1}
            """, line: 4, field: "propagation.low_confidence", mentioning: "0 < value <= 1")
        S.assertError("""
            name: test
            modality: CT
            structures:
              name: liver
            """, line: 4, field: "structures", mentioning: "expected a list")
    }

    func testNotYAML() {
        S.assertError("""
            name: test
            modality: CT
            structures:
              - name: liver
                label: 1
               bad indentation: [
            """, line: 6, field: "", mentioning: "not valid YAML")
        S.assertError("", line: 1, field: "", mentioning: "empty")
        S.assertError("- just\n- a list\n", line: 1, field: "", mentioning: "expected a mapping")
    }

    func testMissingAndUnreadableFiles() throws {
        XCTAssertThrowsError(try SegmentationProtocol.load(path: "/nonexistent/p.yaml")) { e in
            let v = e as? VoxSAMError
            XCTAssertEqual(v?.code, .notFound)
            XCTAssertEqual(v?.path, "/nonexistent/p.yaml")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-proto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("bin.yaml")
        try Data([0xff, 0xfe, 0x00, 0x41]).write(to: f)
        XCTAssertThrowsError(try SegmentationProtocol.load(path: f.path)) { e in
            XCTAssertEqual((e as? VoxSAMError)?.path, f.path)
            XCTAssertTrue("\(e)".contains("UTF-8"), "\(e)")
        }
        // A file on disk reports its own path and line.
        let bad = dir.appendingPathComponent("bad.yaml")
        try Data("name: x\nmodality: CT\nstructures:\n  - {name: liver, label: 0}\n".utf8).write(to: bad)
        XCTAssertThrowsError(try SegmentationProtocol.load(path: bad.path)) { e in
            XCTAssertEqual("\(e)", "\(bad.path):4: structures[0].label: 0 is not a label value (1…65535; 0 is the background)")
        }
    }
}
