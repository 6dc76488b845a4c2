import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
import VoxSAMModel
@testable import VoxSAMSegment

/// Key boxes (corrections) and the embedding cache on the five reference cases, with LiteMedSAM.
///
/// A simulated user corrects each object twice: each round, on the object's slice with the most
/// wrong pixels (prediction XOR ground truth, among slices where the object exists in the ground
/// truth and that have no user box yet), they draw the ground-truth box enlarged by 3 pixels at the
/// model's 256 scale (`../shared/notes/model.md`), given as a key box; then everything propagates
/// again — from the embedding cache, so only the decoder runs.
final class CorrectionTests: XCTestCase {
    func testTwoBoxCorrectionsPerObjectRaiseMeanDice() throws {
        let model = LiteMedSAMSliceModel(model: try SegmentTestSupport.model())
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-corrections-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = try EmbeddingCache(directory: folder.path)
        var rounds: [[Double]] = [[], [], []]   // per round, Dice of every object
        var lines: [String] = []
        for name in SegmentTestSupport.referenceCaseNames {
            let c = try SegmentTestSupport.referenceCase(name)
            let image = try c.readImage(), gts = try c.readGroundTruth()
            var prompts = try c.readPrompts()
            let propagator = Propagator(model: model)
            propagator.cache = cache
            var caseDice: [[Double]] = []
            for round in 0...2 {
                let r = try propagator.run(image8: image, prompts: prompts)
                if round > 0 { XCTAssertEqual(r.encoderCalls, 0, "\(name): round \(round) encoded again despite the cache") }
                let dice = prompts.map { SegmentTestSupport.dice(r.labelMap, gts, label: $0.label) }
                caseDice.append(dice)
                rounds[round] += dice
                if round == 2 { break }
                for i in prompts.indices {
                    if let kb = Self.correction(for: prompts[i], result: r.labelMap, gts: gts, existing: prompts[i].keyBoxes.map(\.slice)) {
                        prompts[i].keyBoxes.append(kb)
                    }
                }
            }
            let means = caseDice.map { $0.reduce(0, +) / Double($0.count) }
            lines.append(String(format: "%@: mean Dice %.4f → %.4f → %.4f (%d objects)", name, means[0], means[1], means[2], prompts.count))
        }
        let means = rounds.map { $0.reduce(0, +) / Double($0.count) }
        lines.append(String(format: "all %d objects: mean Dice %.4f → %.4f (one correction) → %.4f (two)", rounds[0].count, means[0], means[1], means[2]))
        print(lines.joined(separator: "\n"))
        XCTAssertGreaterThan(means[2], means[0], lines.joined(separator: "\n"))
    }

    /// The simulated user's key box for `object`: on the slice with the most wrong pixels where the
    /// ground truth holds the object, its ground-truth box + 3 px at the model's 256 scale.
    static func correction(for object: ObjectPrompt, result: Volume, gts: Volume, existing: [Int]) -> KeyBox? {
        let s = gts.size, label = object.label
        let (w, h) = (s.x, s.y)
        let margin = Int((3 * Double(max(w, h)) / 256).rounded())
        var best: (slice: Int, wrong: Int, box: [Int])?
        let start = object.keySlice ?? (object.box.z0 + object.box.z1) / 2
        for z in object.box.z0...object.box.z1 where z != start && !existing.contains(z) {
            var wrong = 0
            var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
            for y in 0..<h {
                for x in 0..<w {
                    let n = result.linearIndex(x, y, z)
                    let g = Int(gts.voxels[n]) == label, p = Int(result.voxels[n]) == label
                    if g != p { wrong += 1 }
                    if g { x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y) }
                }
            }
            guard x1 > x0, y1 > y0, wrong > (best?.wrong ?? 0) else { continue }
            best = (z, wrong, [max(0, x0 - margin), max(0, y0 - margin), min(w - 1, x1 + margin), min(h - 1, y1 + margin)])
        }
        return best.map { KeyBox(slice: $0.slice, box: $0.box) }
    }
}

/// The embedding cache: a second run encodes nothing and gives the same bytes; damaged or foreign
/// entries are reported, ignored and recomputed.
final class EmbeddingCacheTests: XCTestCase {
    func testSecondRunEncodesNothingAndDamagedEntriesAreRecomputed() throws {
        let model = LiteMedSAMSliceModel(model: try SegmentTestSupport.model())
        let c = try SegmentTestSupport.referenceCase("3DBox_MR_brain2")
        let image = try c.readImage(), prompts = try c.readPrompts()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }

        let plain = try Propagator(model: model).run(image8: image, prompts: prompts)
        XCTAssertNil(plain.cacheHits)
        func cached() throws -> (SegmentationResult, EmbeddingCache) {
            let p = Propagator(model: model)
            p.cache = try EmbeddingCache(directory: folder.path)
            return (try p.run(image8: image, prompts: prompts), p.cache!)
        }
        let (cold, _) = try cached()
        XCTAssertEqual(cold.encoderCalls, plain.encoderCalls)
        XCTAssertEqual(cold.cacheHits, 0)
        let (warm, warmCache) = try cached()
        XCTAssertEqual(warm.encoderCalls, 0)
        XCTAssertEqual(warm.cacheHits, plain.encoderCalls)
        XCTAssertTrue(warmCache.warnings.isEmpty, "\(warmCache.warnings)")
        for r in [cold, warm] { XCTAssertEqual(r.labelMap.voxels, plain.labelMap.voxels, "the cache changes nothing in the result") }

        // Damage: a flipped payload byte, a truncated entry, and another slice's entry under this name.
        let entries = try FileManager.default.subpathsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".emb") }.sorted()
        XCTAssertEqual(entries.count, plain.encoderCalls)
        XCTAssertGreaterThanOrEqual(entries.count, 3)
        let files = entries.map { folder.appendingPathComponent($0) }
        let original = try Data(contentsOf: files[0])
        var a = original; a[a.count - 100] ^= 0x01; try a.write(to: files[0])
        let b = try Data(contentsOf: files[1]); try b.prefix(b.count / 2).write(to: files[1])
        try original.write(to: files[2])   // foreign: files[0]'s entry under files[2]'s name
        let (again, cache) = try cached()
        XCTAssertEqual(again.encoderCalls, 3, "the three damaged entries are recomputed")
        XCTAssertEqual(again.labelMap.voxels, plain.labelMap.voxels)
        let text = cache.warnings.joined(separator: "\n")
        XCTAssertTrue(text.contains("is not a VoxSAM embedding of this slice") && text.contains("truncated or damaged")
                      && text.contains("checksum mismatch")
                      && text.contains("recomputing"), text)
        let (healed, _) = try cached()
        XCTAssertEqual(healed.encoderCalls, 0, "recomputed entries were written back")
    }
}
