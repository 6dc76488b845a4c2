import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
import VoxSAMModel
@testable import VoxSAMSegment

/// Candidate default propagation rules on the five reference cases (issue 13, item 5): a rule becomes
/// the default only if the mean Dice over all 20 objects against the ground truth rises by ≥ 0.02
/// over the reference procedure. A measurement (~1 min with the embedding cache warm, ~2 min cold):
/// runs with VOXSAM_RULES=1 (VOXSAM_RULES_CACHE=DIR keeps the embeddings between runs) and prints a
/// table; otherwise it says it did not run.
final class PropagationRuleTests: XCTestCase {
    func testCandidateRulesAgainstTheReferenceProcedure() throws {
        guard let (model, cache) = try measurement("measurement") else { return }
        var rules: [(String, (inout Propagator<LiteMedSAMSliceModel>.Settings) -> Void)] = [("reference", { _ in }), ("adaptive", { $0.mode = .adaptive })]
        for t in [0.3, 0.4, 0.5, 0.6, 0.7] as [Float] { rules.append(("stop below IoU \(t)", { $0.stopBelowIoU = t })) }
        var lines: [String] = []
        var reference = 0.0
        for (name, configure) in rules {
            var dice: [Double] = []
            for c in SegmentTestSupport.referenceCaseNames {
                let rc = try SegmentTestSupport.referenceCase(c)
                let image = try rc.readImage(), gts = try rc.readGroundTruth(), prompts = try rc.readPrompts()
                var settings = Propagator<LiteMedSAMSliceModel>.Settings()
                configure(&settings)
                let p = Propagator(model: model, settings: settings)
                p.cache = cache
                let r = try p.run(image8: image, prompts: prompts)
                dice += prompts.map { SegmentTestSupport.dice(r.labelMap, gts, label: $0.label) }
            }
            let mean = dice.reduce(0, +) / Double(dice.count)
            if name == "reference" { reference = mean }
            lines.append(String(format: "%-22@ mean Dice %.4f (%+.4f)  min %.4f", name as NSString, mean, mean - reference, dice.min() ?? 0))
        }
        print(lines.joined(separator: "\n"))
    }

    /// Issue 13, item 1: with key boxes, is it better to propagate the slices between two key slices
    /// (the start slice or key boxes) from both ends and keep, per slice, the mask with the higher
    /// predicted IoU (`keySlicesFromBothSides`, now the default) than only outwards from the start
    /// slice? The simulated user of `CorrectionTests` corrects every object twice (from the outward
    /// result); both schemes then run on the same prompts. Opt-in (VOXSAM_RULES=1).
    func testBothSidesBetweenKeySlices() throws {
        guard let (model, cache) = try measurement("both-sides measurement") else { return }
        func propagator(bothSides: Bool) -> Propagator<LiteMedSAMSliceModel> {
            var settings = Propagator<LiteMedSAMSliceModel>.Settings()
            settings.keySlicesFromBothSides = bothSides
            let p = Propagator(model: model, settings: settings)
            p.cache = cache
            return p
        }
        let outward = propagator(bothSides: false), both = propagator(bothSides: true)
        var dice: [[[Double]]] = [[[], []], [[], []]]   // [round][scheme]
        var lines: [String] = []
        func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
        for c in SegmentTestSupport.referenceCaseNames {
            let rc = try SegmentTestSupport.referenceCase(c)
            let image = try rc.readImage(), gts = try rc.readGroundTruth()
            var prompts = try rc.readPrompts()
            for round in 0..<2 {
                let before = try outward.run(image8: image, prompts: prompts)
                for i in prompts.indices {
                    if let kb = CorrectionTests.correction(for: prompts[i], result: before.labelMap, gts: gts, existing: prompts[i].keyBoxes.map(\.slice)) {
                        prompts[i].keyBoxes.append(kb)
                    }
                }
                var caseDice: [[Double]] = []
                for p in [outward, both] {
                    let r = try p.run(image8: image, prompts: prompts)
                    caseDice.append(prompts.map { SegmentTestSupport.dice(r.labelMap, gts, label: $0.label) })
                }
                for s in 0..<2 { dice[round][s] += caseDice[s] }
                lines.append(String(format: "%@, %d correction(s): outwards %.4f, both sides %.4f", c, round + 1, mean(caseDice[0]), mean(caseDice[1])))
            }
        }
        for r in 0..<2 {
            lines.append(String(format: "all %d objects, %d correction(s) each: outwards %.4f, both sides %.4f (%+.4f)",
                                dice[r][0].count, r + 1, mean(dice[r][0]), mean(dice[r][1]), mean(dice[r][1]) - mean(dice[r][0])))
        }
        print(lines.joined(separator: "\n"))
    }

    /// The model and embedding cache of a measurement, or nil (with the reason printed) unless
    /// VOXSAM_RULES=1; VOXSAM_RULES_CACHE=DIR keeps the embeddings between runs.
    private func measurement(_ what: String) throws -> (LiteMedSAMSliceModel, EmbeddingCache)? {
        let env = ProcessInfo.processInfo.environment
        guard env["VOXSAM_RULES"] == "1" else {
            print("PropagationRuleTests: \(what) not run (set VOXSAM_RULES=1)")
            return nil
        }
        let folder = env["VOXSAM_RULES_CACHE"] ?? FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-rules-\(UUID().uuidString)").path
        return (LiteMedSAMSliceModel(model: try SegmentTestSupport.model()), try EmbeddingCache(directory: folder))
    }
}
