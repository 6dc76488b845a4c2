import Foundation
import VoxSAMCore
import VoxSAMJob
import VoxSAMProtocol
import XCTest

/// `--precision` joins the settings that decide a result (command line, else protocol, else fp32)
/// without changing the settings — and so batch resume keys — written before it existed.
final class JobSettingsTests: XCTestCase {
    func testPrecisionResolvesAndKeepsOldSettingsEqual() throws {
        let proto = try SegmentationProtocol.parse("""
            name: t
            modality: CT
            precision: int8
            structures:
              - {name: liver, label: 1}
            """, path: "t.yaml")
        XCTAssertEqual(proto.precision, .int8)
        XCTAssertEqual(try JobSettings.resolve(protocol: proto).precision, .int8)
        XCTAssertEqual(try JobSettings.resolve(precision: .fp32, protocol: proto).precision, .fp32, "the command line wins")
        XCTAssertEqual(try JobSettings.resolve(protocol: nil).precision, .fp32)

        let old = #"{"axis":"k","low_confidence":0.6,"propagation":"reference","window":"400,40"}"#
        let decoded = try JSONDecoder().decode(JobSettings.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.precision, .fp32)
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        XCTAssertEqual(String(decoding: try e.encode(decoded), as: UTF8.self), old, "fp32 settings encode as before")
        var int8 = decoded
        int8.precision = .int8
        XCTAssertTrue(String(decoding: try e.encode(int8), as: UTF8.self).contains(#""precision":"int8""#))
        XCTAssertThrowsError(try SegmentationProtocol.parse("""
            name: t
            modality: CT
            precision: fp16
            structures:
              - {name: liver, label: 1}
            """, path: "t.yaml")) { e in
            XCTAssertTrue("\(e)".contains("t.yaml:3"), "names the file and line: \(e)")
        }
    }
}
