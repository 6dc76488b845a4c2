import Foundation
import XCTest
@testable import VoxSAMCheckpoint
import VoxSAMCore

/// Tests on the real lite_medsam.pth (skipped when it is not available).
/// Reference values were computed independently with Python's zipfile + pickle + numpy.
final class RealCheckpointTests: XCTestCase {
    func testKeysShapesAndDtypesMatchTheReferenceList() throws {
        let path = try TestSupport.requireRealModel()
        let start = Date()
        let sd = try PyTorchCheckpoint.load(path: path)
        let loadSeconds = Date().timeIntervalSince(start)
        let expected = LiteMedSAMKeys.entries
        XCTAssertEqual(expected.count, 435)
        XCTAssertEqual(sd.allKeys.count, 435)
        XCTAssertEqual(Set(sd.allKeys), Set(expected.keys))
        XCTAssertEqual(sd.keys.count, 408)
        for (key, entry) in expected {
            XCTAssertEqual(sd.peek(key)?.shape, entry.shape, key)
            XCTAssertEqual(sd.peek(key)?.dtype.rawValue, entry.dtype, key)
        }
        // The embedded list is the golden file, when that is present.
        if let golden = try? String(contentsOfFile: "/work/shared/reference/golden/state_dict_keys.txt", encoding: .utf8) {
            let lines = golden.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
            XCTAssertEqual(lines, LiteMedSAMKeys.table.split(separator: "\n"))
        }

        // Strict consumption of everything, as a model loader would do it.
        let takeStart = Date()
        var floatCount = 0
        var total = 0.0
        for key in sd.allKeys {
            guard let entry = expected[key] else { continue }
            if entry.dtype == "int64" {
                try sd.skip(key)
                continue
            }
            let t = try sd.take(key, shape: entry.shape)
            floatCount += t.count
            total += t.values.reduce(0.0) { $0 + Double($1) }
        }
        try sd.finish()
        let takeSeconds = Date().timeIntervalSince(takeStart)
        XCTAssertEqual(floatCount, 9_801_412)
        XCTAssertEqual(total, -404.72055412949834, accuracy: 1e-3)
        print("lite_medsam.pth: load \(String(format: "%.1f", loadSeconds * 1000)) ms, take all \(String(format: "%.1f", takeSeconds * 1000)) ms")
    }

    func testValuesMatchPythonReference() throws {
        let sd = try PyTorchCheckpoint.load(path: try TestSupport.requireRealModel())
        // key: (shape, sum, first three, last)
        let reference: [(String, [Int], Double, [Float], Float)] = [
            ("image_encoder.patch_embed.seq.0.c.weight", [32, 3, 1, 1], 0.3305192654952407,
             [-0.09496816247701645, 0.06134231388568878, 0.0080338753759861], 0.19295211136341095),
            ("image_encoder.layers.1.blocks.0.attn.attention_biases", [4, 49], -31.661927585839294,
             [-0.11077823489904404, 0.20644724369049072, 0.43988877534866333], 0.1307079941034317),
            ("image_encoder.neck.0.weight", [256, 320, 1, 1], -3.3807150336495155,
             [0.026393281295895576, 0.042649246752262115, 0.007288931868970394], -0.005959330592304468),
            ("mask_decoder.transformer.layers.0.self_attn.q_proj.weight", [256, 256], 5.772398333884041,
             [-0.005881242919713259, 0.004926311783492565, 0.04175674542784691], -0.03354506567120552),
            ("mask_decoder.output_upscaling.0.weight", [256, 64, 2, 2], -18.805928503638114,
             [0.002907449146732688, -0.026224453002214432, -0.027507759630680084], 0.04098683223128319),
            ("mask_decoder.iou_prediction_head.layers.2.bias", [4], 0.4072609394788742,
             [0.1938086301088333, 0.06806963682174683, 0.07395760715007782], 0.07142506539821625),
            ("prompt_encoder.no_mask_embed.weight", [1, 256], 0.9766925403964706,
             [0.008064093999564648, 0.01086929440498352, 0.007062204647809267], -0.004435384180396795),
        ]
        for (key, shape, sum, first, last) in reference {
            let t = try sd.take(key, shape: shape)
            XCTAssertEqual(Array(t.values.prefix(3)), first, key)
            XCTAssertEqual(t.values.last, last, key)
            XCTAssertEqual(t.values.reduce(0.0) { $0 + Double($1) }, sum, accuracy: 1e-5, key)
            // The in-place view gives the same values.
            XCTAssertEqual(try sd.withUnsafeValues(key, shape: shape) { Array($0) }, t.values, key)
        }
        XCTAssertEqual(sd.peek("image_encoder.patch_embed.seq.0.bn.num_batches_tracked"), TensorInfo(shape: [], dtype: .int64))
    }

    func testArchitectureMismatchOnRealCheckpoint() throws {
        let sd = try PyTorchCheckpoint.load(path: try TestSupport.requireRealModel())
        assertVoxSAMError(try sd.take("image_encoder.neck.0.weight", shape: [256, 320]), code: .model,
                          "image_encoder.neck.0.weight", "[256, 320, 1, 1]", "[256, 320]")
        assertVoxSAMError(try sd.take("image_encoder.neck.9.weight", shape: [1]), code: .model, "missing key")
        _ = try sd.take("prompt_encoder.no_mask_embed.weight", shape: [1, 256])
        do {
            try sd.finish()
            XCTFail("finish must list the 434 keys never used")
        } catch let error as VoxSAMError {
            XCTAssertEqual(error.code, .model)
            XCTAssertTrue(error.message.contains("unknown keys in the checkpoint (434,"), error.message)
            XCTAssertTrue(error.message.contains("mask_decoder.iou_token.weight"))
        }
    }

    func testTruncatedRealCheckpoint() throws {
        let path = try TestSupport.requireRealModel()
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in [data.count - 10, data.count / 2] {
            let url = dir.appendingPathComponent("cut-\(cut).pth")
            try data.prefix(cut).write(to: url)
            assertVoxSAMError(try PyTorchCheckpoint.load(path: url.path), code: .corruptFile,
                              "not a valid zip archive", "re-download it with `voxsam model fetch`")
        }
    }
}
