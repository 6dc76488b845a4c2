import Foundation
import XCTest
import VoxSAMTestSupport
import VoxSAMCore
import VoxSAMIO
import VoxSAMModel
@testable import VoxSAMSegment

/// `voxsam refine` at the propagation level, with LiteMedSAM on two reference cases: every kind of
/// change (key boxes added above and below the start slice, moved, removed; objects removed, added,
/// given another box), in reference and adaptive propagation, gives exactly what a single run with
/// the changed prompts gives — label map and every slice record — while computing fewer slices. The
/// earlier run travels through its JSON confidence report, as on the command line.
final class RefineTests: XCTestCase {
    func testRefinementsEqualSingleRunsAndComputeLess() throws {
        let model = LiteMedSAMSliceModel(model: try SegmentTestSupport.model())
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-refine-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = try EmbeddingCache(directory: folder.path)
        var rng = SeededRandom(seed: 20261207)
        var lines: [String] = []
        for name in ["3DBox_CT_TSsmall", "3DBox_MR_TSsmall"] {
            let c = try SegmentTestSupport.referenceCase(name)
            let image = try c.readImage(), gts = try c.readGroundTruth()
            let original = try c.readPrompts()
            // Adaptive propagation (directions that stop) on one case keeps the test near a minute.
            for mode in name == "3DBox_CT_TSsmall" ? [PropagationMode.reference, .adaptive] : [.reference] {
                var settings = Propagator<LiteMedSAMSliceModel>.Settings()
                settings.mode = mode
                let propagator = Propagator(model: model, settings: settings)
                propagator.cache = cache
                func single(_ prompts: [ObjectPrompt]) throws -> SegmentationResult { try propagator.run(image8: image, prompts: prompts) }
                var prompts = original
                var previous = try single(prompts)

                // A chain of refinements, each checked against a single run of the same prompts.
                var steps: [(String, ([ObjectPrompt]) -> [ObjectPrompt])] = []
                steps.append(("a correction on every object (worst slice, ground truth + 3 px)", { p in
                    p.map { o in
                        var o = o
                        if let kb = CorrectionTests.correction(for: o, result: previous.labelMap, gts: gts, existing: o.keyBoxes.map(\.slice)) {
                            o.keyBoxes.append(kb)
                        }
                        return o
                    }
                }))
                steps.append(("one key box moved by 2 px", { p in
                    var p = p
                    if let i = p.indices.filter({ !p[$0].keyBoxes.isEmpty }).randomElement(using: &rng) {
                        p[i].keyBoxes[0].box = p[i].keyBoxes[0].box.map { $0 + 2 }
                    }
                    return p
                }))
                steps.append(("key boxes on both sides of one object's start slice", { p in
                    var p = p
                    let i = Int.random(in: 0..<p.count, using: &rng)
                    let key = p[i].keySlice ?? (p[i].box.z0 + p[i].box.z1) / 2
                    let plane = [p[i].box.x0, p[i].box.y0, p[i].box.x1, p[i].box.y1]
                    p[i].keyBoxes.removeAll { abs($0.slice - key) == 1 }
                    for z in [key - 1, key + 1] where p[i].box.z0...p[i].box.z1 ~= z { p[i].keyBoxes.append(KeyBox(slice: z, box: plane)) }
                    return p
                }))
                steps.append(("one key box removed", { p in
                    var p = p
                    if let i = p.indices.filter({ !p[$0].keyBoxes.isEmpty }).randomElement(using: &rng) { p[i].keyBoxes.removeLast() }
                    return p
                }))
                steps.append(("two objects swapped (overlaps resolve the other way)", { p in
                    var p = p
                    p.swapAt(0, p.count - 1)
                    return p
                }))
                steps.append(("one object removed", { p in
                    var p = p
                    p.remove(at: Int.random(in: 0..<p.count, using: &rng))
                    return p
                }))
                steps.append(("an object added, another given a shorter box", { p in
                    var p = p
                    let removed = original.first { o in !p.contains { $0.name == o.name } }!
                    var added = removed
                    added.name = "again"
                    added.label = 40
                    p.append(added)
                    p[0].box.z1 = max(p[0].box.z0 + 1, p[0].box.z1 - 1)
                    let top = p[0].box.z1
                    p[0].keyBoxes.removeAll { $0.slice > top }
                    return p
                }))
                steps.append(("nothing changed", { $0 }))
                for (what, change) in steps {
                    prompts = change(prompts)
                    // The earlier run as `refine` gets it: through its JSON report.
                    let data = try JSONEncoder().encode(ConfidenceReport(result: previous, input: name, model: "lite_medsam.pth"))
                    let report = try JSONDecoder().decode(ConfidenceReport.self, from: data)
                    let earlier = EarlierRun(labelMap: previous.labelMap, objects: report.objects.map(\.earlier))
                    let refined = try propagator.run(image8: image, prompts: prompts, earlier: earlier)
                    let fresh = try single(prompts)
                    let at = "\(name), \(mode.rawValue), \(what)"
                    XCTAssertEqual(refined.labelMap.voxels, fresh.labelMap.voxels, "\(at): label maps differ")
                    XCTAssertEqual(try records(refined), try records(fresh), "\(at): slice records differ")
                    XCTAssertEqual(refined.objects.map(\.voxels), fresh.objects.map(\.voxels), at)
                    XCTAssertEqual(refined.encoderCalls, 0, "\(at): the cache is warm")
                    XCTAssertLessThanOrEqual(refined.uniqueSlices, fresh.uniqueSlices, at)
                    if what == "nothing changed" { XCTAssertEqual(refined.uniqueSlices, 0, "\(at): nothing to compute") }
                    lines.append("\(at): \(refined.uniqueSlices) of \(fresh.uniqueSlices) slices computed")
                    previous = refined
                }
            }
        }
        print(lines.joined(separator: "\n"))
        let partial = lines.filter { line in
            let n = line.split(separator: ":").last!.split(separator: " ").compactMap { Int($0) }
            return n.count == 2 && n[0] < n[1]
        }
        XCTAssertGreaterThanOrEqual(partial.count, lines.count / 2, "most refinements compute fewer slices than a single run:\n" + lines.joined(separator: "\n"))
    }

    /// Every object's slice records as JSON (they hold floats compared bit for bit through their text).
    private func records(_ r: SegmentationResult) throws -> [String] {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return try r.objects.map { String(decoding: try e.encode($0.slices), as: UTF8.self) + " band \(String(describing: $0.intensityBand))" }
    }
}
