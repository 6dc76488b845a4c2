import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
import VoxSAMSegment
@testable import VoxSAMBatch

enum BatchTestSupport {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A fresh temporary folder, removed at the end of the test.
    static func temporaryFolder(_ test: XCTestCase) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-batch-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A 32 × 24 × 6 int16 CT-like volume with a bright block (value 200) at x 8…19, y 6…15, z 1…4.
    static func syntheticVolume(seed: Int16 = 0) -> Volume {
        let size = SIMD3(32, 24, 6)
        var v = [Int16](repeating: -1000 + seed, count: size.x * size.y * size.z)
        for k in 1...4 { for j in 6...15 { for i in 8...19 { v[(k * size.y + j) * size.x + i] = 200 } } }
        return Volume(geometry: Geometry(size: size, spacing: SIMD3(1, 1, 2)), voxels: .int16(v))
    }

    /// The real-data test batch (scripts/batch-testdata.sh) in `root/data`, or XCTSkip when ../shared is absent.
    static func realTestBatch(_ root: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [repoRoot.appendingPathComponent("scripts/batch-testdata.sh").path, root + "/data"]
        try p.run(); p.waitUntilExit()
        if p.terminationStatus == 77 {
            let reason = "skipped: ../shared/data is absent (scripts/batch-testdata.sh)"
            print(reason)
            throw XCTSkip(reason)
        }
        XCTAssertEqual(p.terminationStatus, 0, "scripts/batch-testdata.sh")
        return root + "/data"
    }

    /// Every file below `dir` (relative path → SHA-256), skipping the manifests.
    static func digest(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        let base = URL(fileURLWithPath: dir).standardizedFileURL.path
        guard let e = FileManager.default.enumerator(atPath: base) else { return out }
        for case let rel as String in e {
            let p = (base as NSString).appendingPathComponent(rel)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { continue }
            if isDir.boolValue || rel.hasPrefix("manifests") || rel == "manifest.jsonl" || rel == "summary.csv" { continue }
            out[rel] = try SHA256.hex(ofFile: p)
        }
        return out
    }
}

/// A stand-in for LiteMedSAM: foreground = pixels brighter than 128 inside the box, IoU 0.9.
/// Deterministic and fast, so batch logic (resume, shards, failures) is tested without the model.
final class ThresholdModel: SliceSegmentationModel {
    struct Embedding { var pixels: [UInt8]; var width: Int }
    private(set) var embedCalls = 0

    func embed(_ slice: [UInt8], height: Int, width: Int) -> Embedding {
        embedCalls += 1
        return Embedding(pixels: slice, width: width)
    }

    func predict(_ e: Embedding, box: SIMD4<Float>) -> (logits: [Float], iou: Float) {
        var logits = [Float](repeating: -10, count: e.pixels.count)
        let h = e.pixels.count / e.width
        for r in 0..<h {
            for c in 0..<e.width where Float(c) >= box[0] && Float(c) <= box[2] && Float(r) >= box[1] && Float(r) <= box[3] {
                if e.pixels[r * e.width + c] > 128 { logits[r * e.width + c] = 10 }
            }
        }
        return (logits, 0.9)
    }

    func modelBox(fromPixels box: SIMD4<Int>, height: Int, width: Int) -> SIMD4<Float> {
        SIMD4(Float(box[0]), Float(box[1]), Float(box[2]), Float(box[3]))
    }

    func modelBox(fromMask mask: [UInt8], height: Int, width: Int) -> SIMD4<Float>? {
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        for r in 0..<height { for c in 0..<width where mask[r * width + c] != 0 { x0 = min(x0, c); x1 = max(x1, c); y0 = min(y0, r); y1 = max(y1, r) } }
        guard x1 >= 0 else { return nil }
        return SIMD4(Float(max(0, x0 - 1)), Float(max(0, y0 - 1)), Float(min(width - 1, x1 + 1)), Float(min(height - 1, y1 + 1)))
    }

    var logitThreshold: Float { 0 }

    func pixelBox(fromModelBox box: SIMD4<Float>, height: Int, width: Int) -> SIMD4<Double> {
        SIMD4(Double(box[0]), Double(box[1]), Double(box[2]), Double(box[3]))
    }
}
