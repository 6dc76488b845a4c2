import Foundation
import VoxSAMCore
/// What propagation needs from a promptable 2D model (LiteMedSAM, or another SAM-family model).
/// Implemented for LiteMedSAM in `LiteMedSAMSliceModel.swift`.
public protocol SliceSegmentationModel: AnyObject {
    associatedtype Embedding

    /// Encodes a uint8 slice (H × W, row-major). The expensive step: called once per slice.
    func embed(_ slice: [UInt8], height: Int, width: Int) -> Embedding

    /// Decodes one box (in the model's input frame) into logits at H × W and the predicted IoU.
    func predict(_ embedding: Embedding, box: SIMD4<Float>) -> (logits: [Float], iou: Float)

    /// The model-frame box of a box given in slice pixels `[x0, y0, x1, y1]` (key slice).
    func modelBox(fromPixels box: SIMD4<Int>, height: Int, width: Int) -> SIMD4<Float>

    /// The model-frame box tracked from the neighbouring slice's mask (holding the label value);
    /// nil when the mask vanishes at the model's resolution.
    func modelBox(fromMask mask: [UInt8], height: Int, width: Int) -> SIMD4<Float>?

    /// Logits above this are foreground.
    var logitThreshold: Float { get }

    /// Inverse of the model-frame scaling, for reporting boxes in slice pixels.
    func pixelBox(fromModelBox box: SIMD4<Float>, height: Int, width: Int) -> SIMD4<Double>

    /// The workers the model was given and the most that ran at once since `resetThreadUsage()`;
    /// nil for a model that does not split its work.
    var threadUsage: ThreadUsage? { get }
    func resetThreadUsage()

    /// The arithmetic the model runs (LiteMedSAM: fp32 or int8); nil for a model without a choice.
    var precision: Precision? { get }

    // The embedding cache (`EmbeddingCache`): a model whose embeddings can be kept on disk says what,
    // besides the slice's pixels, an embedding depends on (weights, arithmetic, preprocessing) and
    // turns embeddings into bytes and back. nil: not cacheable.
    var embeddingIdentity: String? { get }
    func archive(_ embedding: Embedding) -> Data?
    func unarchive(_ data: Data, height: Int, width: Int) -> Embedding?
}

/// Threads a run was given (`--threads`, `VOXSAM_THREADS` or every core) and the most that worked
/// at the same moment: reported so that a run on fewer threads than configured is visible.
public struct ThreadUsage: Sendable, Equatable {
    public var configured: Int
    public var used: Int
    public init(configured: Int, used: Int) {
        self.configured = configured
        self.used = used
    }
}

public extension SliceSegmentationModel {
    var precision: Precision? { nil }
    var embeddingIdentity: String? { nil }
    func archive(_ embedding: Embedding) -> Data? { nil }
    func unarchive(_ data: Data, height: Int, width: Int) -> Embedding? { nil }
    var threadUsage: ThreadUsage? { nil }
    func resetThreadUsage() {}
}
