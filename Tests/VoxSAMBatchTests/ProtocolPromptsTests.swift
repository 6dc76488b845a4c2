import XCTest
import VoxSAMCore
import VoxSAMProtocol
import VoxSAMSegment
@testable import VoxSAMJob

/// `segment --protocol` and `batch --protocol`: objects take the protocol's names and colours; labels must be in it.
final class ProtocolPromptsTests: XCTestCase {
    let proto = try! SegmentationProtocol.parse("""
        name: p
        modality: CT
        structures:
          - {name: liver, label: 1, color: [1, 2, 3]}
          - {name: kidney_left, label: 4}
        """, path: "p.yaml")
    let box = VoxelBox(x0: 0, y0: 0, z0: 0, x1: 3, y1: 3, z1: 1)

    func testNamesAndColoursComeFromTheProtocol() throws {
        let out = try ProtocolPrompts.apply(proto, to: [ObjectPrompt(name: "object1", label: 1, box: box),
                                                        ObjectPrompt(name: "Kidney Left", label: 4, box: box)])
        XCTAssertEqual(out.map(\.name), ["liver", "kidney_left"])
        XCTAssertEqual(out[0].color, RGB(1, 2, 3))
        XCTAssertEqual(out[1].color, BuiltinTerminology.entry(named: "kidney_left")?.color)
    }

    func testLabelsMissingFromTheProtocolAndContradictingNamesAreRefused() {
        XCTAssertThrowsError(try ProtocolPrompts.apply(proto, to: [ObjectPrompt(name: "object1", label: 2, box: box)])) { e in
            XCTAssertEqual((e as? VoxSAMError)?.path, "p.yaml")
            XCTAssertTrue("\(e)".contains("label 2") && "\(e)".contains("1 liver, 4 kidney_left"), "\(e)")
        }
        XCTAssertThrowsError(try ProtocolPrompts.apply(proto, to: [ObjectPrompt(name: "spleen", label: 1, box: box)])) { e in
            XCTAssertTrue("\(e)".contains("calls `liver`"), "\(e)")
        }
    }
}
