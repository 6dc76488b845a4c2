import Foundation
import XCTest
@testable import VoxSAMModel

/// Compares every stage against the PyTorch reference tensors in ../shared/reference/golden.
final class GoldenTests: XCTestCase {
    struct Fixture {
        let prefix: String
        let height: Int, width: Int, newHeight: Int, newWidth: Int
        let box: SIMD4<Int>, box256: SIMD4<Float>
    }

    static let main = Fixture(prefix: "", height: 512, width: 512, newHeight: 256, newWidth: 256,
                              box: SIMD4(107, 196, 269, 374), box256: SIMD4(53, 98, 134, 187))
    static let nonSquare = Fixture(prefix: "ns_", height: 91, width: 117, newHeight: 199, newWidth: 256,
                                   box: SIMD4(11, 16, 55, 71), box256: SIMD4(24, 35, 120, 155))

    func rawSlice(_ g: URL, _ f: Fixture) throws -> [UInt8] {
        try Fixtures.floats(g, f.prefix + "raw_slice_uint8.bin").map { UInt8($0) }
    }

    // MARK: Preprocessing (bit-exact)

    func testPreprocessingIsBitExact() throws {
        let g = try Fixtures.requireSharedGolden()
        for f in [Self.main, Self.nonSquare] {
            let p = Preprocessor()
            let (nh, nw) = p.resizedSize(height: f.height, width: f.width)
            XCTAssertEqual(nh, f.newHeight)
            XCTAssertEqual(nw, f.newWidth)
            let input = p(try rawSlice(g, f), height: f.height, width: f.width)
            let ref = try Fixtures.floats(g, f.prefix + "input.bin")
            let mismatches = zip(input.tensor, ref).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            XCTAssertEqual(mismatches, 0, "\(f.prefix)input.bin differs in \(mismatches) values")
            XCTAssertEqual(p.box256(fromOriginal: f.box, height: f.height, width: f.width), f.box256)
        }
    }

    // MARK: Postprocessing from the reference logits (exact)

    func testPostprocessingFromReferenceLogitsIsExact() throws {
        let g = try Fixtures.requireSharedGolden()
        for f in [Self.main, Self.nonSquare] {
            let logits = try Fixtures.floats(g, f.prefix + "low_res_logits.bin")
            let ref = try Fixtures.floats(g, f.prefix + "mask_original_res.bin").map { UInt8($0) }
            let mask = Postprocessor.mask(logits: logits[...], size: 256, newHeight: f.newHeight, newWidth: f.newWidth,
                                          height: f.height, width: f.width)
            let diff = zip(mask, ref).filter { $0.0 != $0.1 }.count
            XCTAssertEqual(diff, 0, "\(f.prefix)mask differs in \(diff) pixels")
        }
    }

    // MARK: Encoder

    func testEncoderMatchesReference() throws {
        let g = try Fixtures.requireSharedGolden()
        let model = try Fixtures.model()
        let input = PreprocessedImage(tensor: try Fixtures.floats(g, "input.bin"), size: 256, newHeight: 256,
                                      newWidth: 256, height: 512, width: 512)
        var stages: [String: [Float]] = [:]
        let emb = model.encode(input) { name, p, h, w, c in
            stages[name] = Array(UnsafeBufferPointer(start: p, count: h * w * c))
        }
        // patch_embed rows 120..<136 in NCHW (1, 64, 16, 256) from our [256*256][64].
        let pe = stages["patch_embed"]!
        var rows = [Float](repeating: 0, count: 64 * 16 * 256)
        for c in 0..<64 { for y in 0..<16 { for x in 0..<256 { rows[(c * 16 + y) * 256 + x] = pe[((120 + y) * 256 + x) * 64 + c] } } }
        var report: [String] = []
        func check(_ name: String, _ ours: [Float], _ file: String, relL2 tol: Double) throws {
            let d = Diff(ours, try Fixtures.floats(g, file))
            report.append("\(name): \(d)")
            XCTAssertLessThan(d.relL2, tol, "\(name): \(d)")
        }
        try check("patch_embed", rows, "patch_embed_rows120_136.bin", relL2: 1e-5)
        for i in 0..<4 { try check("layers\(i)", stages["layers\(i)"]!, "layers\(i).bin", relL2: 1e-4) }
        try check("image_embedding", emb.nchw, "image_embedding.bin", relL2: 1e-4)
        print("encoder golden:\n  " + report.joined(separator: "\n  "))
    }

    // MARK: Prompt encoder + decoder (from the reference embedding)

    func testDecoderMatchesReference() throws {
        let g = try Fixtures.requireSharedGolden()
        let model = try Fixtures.model()
        let f = Self.main
        let box = try Fixtures.floats(g, "box_256.bin")
        XCTAssertEqual(SIMD4(box[0], box[1], box[2], box[3]), f.box256)
        var report: [String] = []
        let sparse = Diff(model.sparseEmbeddings(box256: f.box256), try Fixtures.floats(g, "sparse_embeddings.bin"))
        report.append("sparse_embeddings: \(sparse)")
        XCTAssertLessThan(sparse.maxAbs, 1e-4)
        // dense PE: ours is [64*64][256], reference (1, 256, 64, 64)
        let pe = model.densePE.array
        var peNCHW = [Float](repeating: 0, count: 256 * 4096)
        for i in 0..<4096 { for c in 0..<256 { peNCHW[c * 4096 + i] = pe[i * 256 + c] } }
        let dpe = Diff(peNCHW, try Fixtures.floats(g, "dense_pe.bin"))
        report.append("dense_pe: \(dpe)")
        XCTAssertLessThan(dpe.maxAbs, 1e-4)
        let noMask = model.promptEncoder.noMaskEmbed
        var dense = [Float](repeating: 0, count: 256 * 4096)
        for c in 0..<256 { for i in 0..<4096 { dense[c * 4096 + i] = noMask[c] } }
        let dd = Diff(dense, try Fixtures.floats(g, "dense_embeddings.bin"))
        report.append("dense_embeddings: \(dd)")
        XCTAssertEqual(dd.maxAbs, 0)

        let emb = ImageEmbedding(nchw: try Fixtures.floats(g, "image_embedding.bin"), channels: 256, size: 64,
                                 newHeight: 256, newWidth: 256, height: 512, width: 512)
        let pred = model.decode(emb, box256: f.box256)
        let logits = Diff(pred.logits, try Fixtures.floats(g, "low_res_logits.bin"))
        report.append("low_res_logits (reference embedding): \(logits)")
        XCTAssertLessThan(logits.maxAbs, 1e-3)
        let iouRef = try Fixtures.floats(g, "iou_pred.bin")[0]
        report.append("iou: \(pred.iou[0]) vs \(iouRef)")
        XCTAssertEqual(pred.iou[0], iouRef, accuracy: 1e-4)
        // multimask output shape
        let multi = model.decode(emb, box256: f.box256, multimask: true)
        XCTAssertEqual(multi.count, 3)
        XCTAssertEqual(multi.logits.count, 3 * 256 * 256)
        print("decoder golden:\n  " + report.joined(separator: "\n  "))
    }

    // MARK: End to end: raw slice -> mask

    func testEndToEndMasks() throws {
        let g = try Fixtures.requireSharedGolden()
        let model = try Fixtures.model()
        var report: [String] = []
        for f in [Self.main, Self.nonSquare] {
            let p = Preprocessor()
            let input = p(try rawSlice(g, f), height: f.height, width: f.width)
            let emb = model.encode(input)
            let pred = model.decode(emb, box256: p.box256(fromOriginal: f.box, height: f.height, width: f.width))
            let dl = Diff(pred.logits, try Fixtures.floats(g, f.prefix + "low_res_logits.bin"))
            let mask = Postprocessor.mask(pred, embedding: emb)
            let ref = try Fixtures.floats(g, f.prefix + "mask_original_res.bin").map { UInt8($0) }
            let diff = zip(mask, ref).filter { $0.0 != $0.1 }.count
            let frac = Double(diff) / Double(ref.count)
            report.append("\(f.prefix.isEmpty ? "main" : "non-square"): logits \(dl); mask pixels differing \(diff) (\(String(format: "%.4f", frac * 100)) %), foreground \(mask.filter { $0 > 0 }.count) vs \(ref.filter { $0 > 0 }.count), iou \(pred.iou[0])")
            XCTAssertLessThan(dl.maxAbs, 1e-3, "\(f.prefix) logits: \(dl)")
            XCTAssertLessThanOrEqual(frac, 0.001)
        }
        print("end to end:\n  " + report.joined(separator: "\n  "))
    }
}
