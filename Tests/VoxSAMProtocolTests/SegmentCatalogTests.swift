import XCTest
import VoxSAMCore
@testable import VoxSAMProtocol

/// What exports get for a label: protocol first, then the built-in table by name, then the fallback.
final class SegmentCatalogTests: XCTestCase {
    typealias S = ProtocolTestSupport

    func testProtocolWins() throws {
        let p = try SegmentationProtocol.parse(S.valid, path: S.testPath)
        let c = SegmentCatalog(protocol: p)
        let d = try c.describe(label: 2, name: "whatever", color: RGB(1, 1, 1))
        XCTAssertEqual(d.name, "spleen")
        XCTAssertEqual(d.type.value, "78961009")
        XCTAssertEqual(d.color, BuiltinTerminology.entry(named: "spleen")!.color)
    }

    func testStrictModeRefusesLabelsMissingFromTheProtocol() throws {
        let p = try SegmentationProtocol.parse(S.valid, path: S.testPath)
        XCTAssertThrowsError(try SegmentCatalog(protocol: p, strict: true).describe(label: 7, name: "kidney", color: nil)) { e in
            let v = e as? VoxSAMError
            XCTAssertEqual(v?.code, .invalidArgument)
            XCTAssertEqual(v?.path, S.testPath)
            XCTAssertTrue("\(e)".contains("label 7") && "\(e)".contains("1 liver, 2 spleen"), "\(e)")
        }
        // Not strict: the built-in table by name.
        let d = try SegmentCatalog(protocol: p).describe(label: 7, name: "kidney", color: nil)
        XCTAssertEqual(d.type.value, "64033007")
        XCTAssertEqual(d.label, 7)
    }

    func testBuiltinTableByNameWithSynonyms() throws {
        let c = SegmentCatalog()
        let cases: [(String, String, String?)] = [
            ("Liver", "10200004", nil), ("SPLEEN", "78961009", nil), ("kidney_left", "64033007", "7771000"),
            ("Left Kidney", "64033007", "7771000"), ("kidney-right", "64033007", "24028007"), ("IVC", "64131007", nil),
            ("gall bladder", "28231008", nil), ("Tumor", "108369006", nil), ("tumour", "108369006", nil),
            ("oedema", "79654002", nil), ("necrosis", "6574001", nil), ("lesion", "52988006", nil),
            ("mass", "4147007", nil), ("lungs", "39607008", nil), ("bladder", "89837001", nil), ("brain", "12738006", nil),
            ("vertebrae", "51282000", nil), ("bone", "272673000", nil), ("colon", "71854001", nil),
            ("esophagus", "32849002", nil), ("oesophagus", "32849002", nil), ("duodenum", "38848004", nil),
            ("adrenal_gland_left", "23451007", "7771000"), ("prostate", "41216001", nil), ("heart", "80891009", nil),
            ("aorta", "15825003", nil), ("pancreas", "15776009", nil), ("stomach", "69695003", nil),
        ]
        for (name, code, modifier) in cases {
            let d = try c.describe(label: 5, name: name, color: nil)
            XCTAssertEqual(d.type.value, code, name)
            XCTAssertEqual(d.type.scheme, "SCT", name)
            XCTAssertEqual(d.typeModifier?.value, modifier, name)
            XCTAssertEqual(d.name, name, "the caller's name is kept")
        }
        XCTAssertEqual(try c.describe(label: 1, name: "tumour", color: nil).category.value, "49755003")
        XCTAssertEqual(try c.describe(label: 1, name: "liver", color: nil).category.value, "123037004")
        XCTAssertEqual(try c.describe(label: 1, name: "liver", color: RGB(9, 8, 7)).color, RGB(9, 8, 7))
    }

    func testFallback() throws {
        let c = SegmentCatalog()
        let d = try c.describe(label: 4, name: "blob", color: nil)
        XCTAssertEqual(d.name, "blob")
        XCTAssertEqual(d.category, CodedConcept("85756007", "SCT", "Tissue"))
        XCTAssertEqual(d.type, CodedConcept("85756007", "SCT", "Tissue"))
        XCTAssertEqual(d.color, RGB.forLabel(4))
        XCTAssertEqual(try c.describe(label: 3, name: nil, color: nil).name, "Segment 3")
        XCTAssertThrowsError(try c.describe(label: 0, name: "x", color: nil))
        XCTAssertThrowsError(try c.describe([(1, "a", nil), (1, "b", nil)]))
        XCTAssertEqual(try c.describe([(2, "spleen", nil), (1, "liver", nil)]).map(\.label), [1, 2])
    }

    func testBuiltinTableIsConsistent() {
        var seen = Set<String>()
        for e in BuiltinTerminology.entries {
            for n in [e.name] + e.synonyms {
                XCTAssertTrue(seen.insert(BuiltinTerminology.normalise(n)).inserted, "\(n) appears twice")
            }
            XCTAssertTrue(e.type.value.allSatisfy(\.isNumber) && e.category.value.allSatisfy(\.isNumber), e.name)
            XCTAssertTrue(["123037004", "49755003", "85756007"].contains(e.category.value), e.name)
        }
    }
}
