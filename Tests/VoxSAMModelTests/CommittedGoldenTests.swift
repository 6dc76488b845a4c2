import Foundation
import XCTest
@testable import VoxSAMModel

/// End-to-end checks against the small reference subset committed in Resources/golden, so a fresh
/// clone tests the model as soon as the checkpoint is installed (no ../shared needed).
final class CommittedGoldenTests: XCTestCase {
    struct Fixture: Decodable {
        let prefix: String
        let height: Int, width: Int
        let new_height: Int, new_width: Int
        let box: [Int], box_256: [Float]
        let iou_pred: Float
        let foreground: Int
    }

    static func fixtures() throws -> [Fixture] {
        struct Meta: Decodable { let fixtures: [Fixture] }
        let data = try Data(contentsOf: Fixtures.committedGolden.appendingPathComponent("fixtures.json"))
        return try JSONDecoder().decode(Meta.self, from: data).fixtures
    }

    func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.committedGolden.appendingPathComponent(name)))
    }

    func load(_ f: Fixture) throws -> (slice: [UInt8], logits: [Float], mask: [UInt8]) {
        let dims = "\(f.height)x\(f.width)"
        return (try bytes("\(f.prefix)_raw_slice_\(dims).u8"),
                try Fixtures.floats(Fixtures.committedGolden.appendingPathComponent("\(f.prefix)_low_res_logits_256x256.f32")),
                try bytes("\(f.prefix)_mask_\(dims).u8"))
    }

    func testPostprocessingOfCommittedLogitsIsExact() throws {
        for f in try Self.fixtures() {
            let (_, logits, ref) = try load(f)
            let mask = Postprocessor.mask(logits: logits[...], size: 256, newHeight: f.new_height, newWidth: f.new_width,
                                          height: f.height, width: f.width)
            XCTAssertEqual(mask, ref, "\(f.prefix): postprocessed mask differs")
            XCTAssertEqual(mask.filter { $0 > 0 }.count, f.foreground)
        }
    }

    func testBoxScaling() throws {
        for f in try Self.fixtures() {
            let b = Preprocessor().box256(fromOriginal: SIMD4(f.box[0], f.box[1], f.box[2], f.box[3]), height: f.height,
                                          width: f.width)
            XCTAssertEqual(b, SIMD4(f.box_256[0], f.box_256[1], f.box_256[2], f.box_256[3]))
        }
    }

    func testModelEndToEnd() throws {
        let model = try Fixtures.model()
        for f in try Self.fixtures() {
            let (slice, refLogits, refMask) = try load(f)
            let pre = Preprocessor()
            let input = pre(slice, height: f.height, width: f.width)
            XCTAssertEqual(input.newHeight, f.new_height)
            XCTAssertEqual(input.newWidth, f.new_width)
            let emb = model.encode(input)
            let box = pre.box256(fromOriginal: SIMD4(f.box[0], f.box[1], f.box[2], f.box[3]), height: f.height, width: f.width)
            let pred = model.decode(emb, box256: box)
            let d = Diff(pred.logits, refLogits)
            XCTAssertLessThan(d.maxAbs, 1e-3, "\(f.prefix) logits: \(d)")
            XCTAssertEqual(pred.iou[0], f.iou_pred, accuracy: 1e-4)
            let mask = Postprocessor.mask(pred, embedding: emb)
            let differing = zip(mask, refMask).filter { $0.0 != $0.1 }.count
            XCTAssertLessThanOrEqual(Double(differing), 0.001 * Double(refMask.count), "\(f.prefix): \(differing) pixels differ")
            print("committed fixture \(f.prefix): logits \(d); \(differing) mask pixels differ")
        }
    }
}
