import VoxSAMCore
import VoxSAMIO

/// How a slice's box was chosen.
public enum BoxSource: String, Sendable, Codable {
    /// The key slice: the 2D part of the user's 3D box.
    case input
    /// The previous slice's mask, enlarged.
    case prevMask = "prev_mask"
    /// The previous mask vanished: the key-slice box again (reference mode).
    case fallbackInput = "fallback_input"
    /// A key box the user drew on this slice (`KeyBox`).
    case keyBox = "key_box"
    /// Between two key slices: the next slice's mask, propagated back from the farther key slice,
    /// whose mask was more confident than the one propagated outwards.
    case nextMask = "next_mask"
}

/// What happened on one slice for one object (the confidence report's row).
public struct SliceRecord: Sendable, Codable {
    public var slice: Int
    public var boxSource: BoxSource
    /// Box fed to the model, in its input frame (256 × 256 for LiteMedSAM).
    public var boxModel: [Float]
    /// The same box in slice pixels `[x0, y0, x1, y1]`.
    public var boxPixels: [Double]
    public var iouPrediction: Float
    /// SAM's stability score: |logits > +1| / |logits > −1| (1 when both are empty).
    public var stabilityScore: Float
    public var maskAreaPixels: Int
    public var maskAreaMM2: Double
    /// Mean sigmoid probability over the mask's pixels (0 for an empty mask).
    public var meanProbability: Float
    /// Flagged for checking: any of `flags` (see `ConfidenceFlags`).
    public var lowConfidence: Bool
    /// Why the slice is flagged: predicted IoU below the threshold, low stability score, mask area
    /// jumping against a neighbouring slice.
    public var flags: [Flag] = []
    /// Share of the mask's pixels whose intensity lies outside the object's range on its start slice
    /// (5th–95th percentile, widened by a quarter of its width); nil for an empty mask.
    public var intensityOutliers: Float?

    public enum Flag: String, Sendable, Codable {
        case lowIoU = "low_iou", unstable, areaJump = "area_jump", intensity
    }

    enum CodingKeys: String, CodingKey {
        case slice, boxSource = "box_source", boxModel = "box_model", boxPixels = "box_pixels"
        case iouPrediction = "iou_pred", stabilityScore = "stability_score", maskAreaPixels = "mask_area_px"
        case maskAreaMM2 = "mask_area_mm2", meanProbability = "mean_probability", lowConfidence = "low_confidence", flags
        case intensityOutliers = "intensity_outliers"
    }
}

/// One object's outcome.
public struct ObjectResult: Sendable {
    public var prompt: ObjectPrompt
    /// Slices in processing order (key slice, upwards, then downwards).
    public var slices: [SliceRecord]
    /// Voxels carrying this object's label in the final map (after overlaps were resolved).
    public var voxels: Int
    public var volumeML: Double
    /// The 5th–95th percentile of the start slice's mask intensities (nil: that mask was empty).
    public var intensityBand: ClosedRange<Int>?

    public init(prompt: ObjectPrompt, slices: [SliceRecord], voxels: Int, volumeML: Double, intensityBand: ClosedRange<Int>? = nil) {
        self.prompt = prompt; self.slices = slices; self.voxels = voxels; self.volumeML = volumeML; self.intensityBand = intensityBand
    }
}

/// The label map plus everything needed for reports.
public struct SegmentationResult: Sendable {
    public var labelMap: Volume
    public var objects: [ObjectResult]
    public var axis: SliceAxis
    public var encoderCalls: Int
    /// Slices whose embedding came from the embedding cache (nil: no cache was given).
    public var cacheHits: Int?
    public var uniqueSlices: Int
    public var lowConfidenceThreshold: Float
    public var mode: PropagationMode
    public var seconds: Double
    /// Threads the model was given and used (nil for a model that does not report them).
    public var threads: ThreadUsage?
    /// The arithmetic the model ran (fp32 or int8), when it has a choice.
    public var precision: Precision?
}


/// Where a correction (a key box) would most likely help: up to `count` slices of an object, the
/// most likely wrong first. A slice's score is its predicted IoU, lowered by 0.1 for each
/// `SliceRecord.Flag` and for a box that fell back to the key-slice box (the mask had vanished), and
/// by the share of its mask outside the object's intensity range (`intensityOutliers`);
/// slices with a user's box (the start slice, key boxes) are not suggested, and slices within 2 of
/// one already chosen are skipped (a key box also steers the slices after it).
public enum SuggestedSlices {
    public static let count = 3

    public static func rank(_ records: [SliceRecord]) -> [Int] {
        var scored: [(slice: Int, score: Float)] = []
        for r in records where r.boxSource != .keyBox && r.boxSource != .input {
            var score = r.iouPrediction - 0.1 * Float(r.flags.count) - (r.intensityOutliers ?? 0)
            if r.boxSource == .fallbackInput { score -= 0.1 }
            scored.append((r.slice, score))
        }
        scored.sort { $0.score < $1.score || ($0.score == $1.score && $0.slice < $1.slice) }
        var chosen: [Int] = []
        for s in scored where chosen.count < count && !chosen.contains(where: { abs($0 - s.slice) <= 2 }) {
            chosen.append(s.slice)
        }
        return chosen
    }
}
