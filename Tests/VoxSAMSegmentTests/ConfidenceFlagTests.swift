import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
@testable import VoxSAMSegment

/// Slices flagged for checking against the ground truth of the five reference 3D cases: how many
/// slices with Dice < 0.5 are flagged (recall) and how many flagged slices are bad (precision).
/// The predicted IoU alone below 0.6 (the rule before `ConfidenceFlags`) flagged 2 of 66 bad slices;
/// IoU, stability and area jumps flag 43 of 66 among 96 (recall 0.65, precision 0.45); with the
/// intensity flag 50 of 66 among 107 (recall 0.76, precision 0.47; `IntensityFlagScan`).
final class ConfidenceFlagTests: XCTestCase {
    func testFlagsFindMostBadSlicesOfTheReferenceCases() throws {
        let model = try SegmentTestSupport.model()
        var total = 0, bad = 0, flagged = 0, caught = 0, oldRule = 0
        var byFlag: [SliceRecord.Flag: Int] = [:]
        for name in SegmentTestSupport.referenceCaseNames {
            let c = try SegmentTestSupport.referenceCase(name)
            let image = try c.readImage(), gts = try c.readGroundTruth()
            let result = try Propagator(model: LiteMedSAMSliceModel(model: model)).run(image8: image, prompts: try c.readPrompts())
            let n = image.size.x * image.size.y
            let seg = result.labelMap.voxels.labelValues, gt = gts.voxels.labelValues
            for o in result.objects {
                for r in o.slices {
                    let dice = SegmentTestSupport.sliceDice(seg, gt, label: o.prompt.label, slice: r.slice, sliceSize: n)
                    total += 1
                    let isBad = dice < 0.5
                    if isBad { bad += 1 }
                    if r.lowConfidence { flagged += 1 }
                    if isBad && r.lowConfidence { caught += 1 }
                    if isBad && r.iouPrediction < 0.6 { oldRule += 1 }
                    XCTAssertEqual(r.lowConfidence, !r.flags.isEmpty)
                    for f in r.flags { byFlag[f, default: 0] += 1 }
                }
            }
        }
        let recall = Double(caught) / Double(max(bad, 1)), precision = Double(caught) / Double(max(flagged, 1))
        print(String(format: "flags on the reference cases: %d slices, %d with Dice < 0.5; flagged %d, of them bad %d: recall %.2f, precision %.2f (IoU < 0.6 alone: %d); by flag %@",
                     total, bad, flagged, caught, recall, precision, oldRule, byFlag.map { "\($0.key.rawValue) \($0.value)" }.sorted().joined(separator: ", ")))
        XCTAssertGreaterThanOrEqual(recall, 0.7)
        XCTAssertGreaterThanOrEqual(precision, 0.4)
        XCTAssertLessThan(Double(flagged) / Double(total), 0.3, "flags must stay a short list")
    }
}

/// Issue 12, item 8: on the MSD spleen crop with its ground-truth box, slices 3–9 leak into the
/// perisplenic fat (Dice 0.16–0.77) while the predicted IoU stays 0.88–0.93: nothing was flagged.
/// The intensity flag catches them, and the worst slice is suggested first.
final class SpleenLeakFlagTests: XCTestCase {
    func testLeakingSlicesAreFlaggedAndTheWorstSuggestedFirst() throws {
        let base = "A/ivadomed_data-testing/ct_scan"
        let ct = try SegmentTestSupport.sharedFile("data/\(base)/sub-spleen2/ct/sub-spleen2_ct.nii.gz")
        let gtPath = try SegmentTestSupport.sharedFile("data/\(base)/derivatives/labels/sub-spleen2/ct/sub-spleen2_ct_seg-manual.nii.gz")
        let volume = try VolumeReader.read(path: ct)
        let image8 = Windowing.apply(Window.defaultWindow(for: volume), to: volume)
        let prompts = try PromptSource.fromLabelMap(try VolumeReader.read(path: gtPath))
        var settings = Propagator<LiteMedSAMSliceModel>.Settings()
        settings.axis = .k
        let result = try Propagator(model: LiteMedSAMSliceModel(model: try SegmentTestSupport.model()), settings: settings)
            .run(image8: image8, prompts: prompts)
        let records = Dictionary(uniqueKeysWithValues: result.objects[0].slices.map { ($0.slice, $0) })
        for z in 3...9 {
            XCTAssertTrue(records[z]?.flags.contains(.intensity) == true, "slice \(z): \(String(describing: records[z]))")
            XCTAssertGreaterThan(records[z]?.iouPrediction ?? 0, 0.85, "the model is confident there")
        }
        for z in 12...21 { XCTAssertEqual(records[z]?.flags, [], "slice \(z) is fine (Dice ≥ 0.9)") }
        XCTAssertEqual(SuggestedSlices.rank(result.objects[0].slices).first, 3)
    }
}

/// The intensity flag's threshold, measured (VOXSAM_FLAG_SCAN=1; VOXSAM_RULES_CACHE=DIR reuses the
/// embeddings): recall and precision of the flags for several thresholds on the reference cases.
final class IntensityFlagScan: XCTestCase {
    func testScanThresholds() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["VOXSAM_FLAG_SCAN"] == "1" else { print("IntensityFlagScan: measurement not run (set VOXSAM_FLAG_SCAN=1)"); return }
        let model = LiteMedSAMSliceModel(model: try SegmentTestSupport.model())
        let cache = try EmbeddingCache(directory: env["VOXSAM_RULES_CACHE"] ?? NSTemporaryDirectory() + "/voxsam-flag-scan")
        var rows: [(bad: Bool, other: Bool, outliers: Float)] = []
        for name in SegmentTestSupport.referenceCaseNames {
            let c = try SegmentTestSupport.referenceCase(name)
            let image = try c.readImage(), gts = try c.readGroundTruth()
            let p = Propagator(model: model)
            p.cache = cache
            let result = try p.run(image8: image, prompts: try c.readPrompts())
            let n = image.size.x * image.size.y
            let seg = result.labelMap.voxels.labelValues, gt = gts.voxels.labelValues
            for o in result.objects {
                for r in o.slices {
                    let dice = SegmentTestSupport.sliceDice(seg, gt, label: o.prompt.label, slice: r.slice, sliceSize: n)
                    rows.append((dice < 0.5, !r.flags.filter { $0 != .intensity }.isEmpty, r.intensityOutliers ?? 0))
                }
            }
        }
        var lines: [String] = []
        for t in [1.1, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1] as [Float] {
            let flagged = rows.filter { $0.other || $0.outliers > t }
            let caught = flagged.filter(\.bad).count, bad = rows.filter(\.bad).count
            lines.append(String(format: "threshold %.2f: flagged %d of %d, bad %d, caught %d: recall %.2f precision %.2f",
                                t, flagged.count, rows.count, bad, caught, Double(caught) / Double(max(bad, 1)), Double(caught) / Double(max(flagged.count, 1))))
        }
        print(lines.joined(separator: "\n"))
    }
}
