import Foundation
import VoxSAMCore
import VoxSAMModel

/// LiteMedSAM behind the propagation interface, with the reference pre/postprocessing.
public final class LiteMedSAMSliceModel: SliceSegmentationModel {
    public let model: LiteMedSAM
    let preprocessor = Preprocessor()
    public private(set) var encoderCalls = 0

    /// `checkpointSHA256`: the checkpoint's hash when the caller already has it (`ModelStore` verifies
    /// and caches it on every load); otherwise the embedding cache hashes the file once.
    public init(model: LiteMedSAM, checkpointSHA256: String? = nil) {
        self.model = model
        self.checkpointSHA256 = checkpointSHA256
    }

    public func embed(_ slice: [UInt8], height: Int, width: Int) -> ImageEmbedding {
        encoderCalls += 1
        return model.encode(preprocessor(slice, height: height, width: width))
    }

    public func predict(_ e: ImageEmbedding, box: SIMD4<Float>) -> (logits: [Float], iou: Float) {
        let p = model.decode(e, box256: box)
        let logits = Postprocessor.resizeLogits(p.plane(0), size: p.size, newHeight: e.newHeight, newWidth: e.newWidth,
                                                height: e.height, width: e.width, threads: model.threads)
        return (logits, p.iou[0])
    }

    public func modelBox(fromPixels box: SIMD4<Int>, height: Int, width: Int) -> SIMD4<Float> {
        preprocessor.box256(fromOriginal: box, height: height, width: width)
    }

    public func modelBox(fromMask mask: [UInt8], height: Int, width: Int) -> SIMD4<Float>? {
        preprocessor.box256(fromMask: mask, height: height, width: width)
    }

    public var logitThreshold: Float { Postprocessor.logitThreshold }

    public var threadUsage: ThreadUsage? { ThreadUsage(configured: model.threads, used: model.threadsUsed) }
    public func resetThreadUsage() { model.resetThreadUsage() }
    public var precision: Precision? { model.precision }

    /// The checkpoint's SHA-256 (given, or computed once on first use), the arithmetic and the preprocessing.
    public var embeddingIdentity: String? {
        if checkpointSHA256 == nil { checkpointSHA256 = try? SHA256.hex(ofFile: model.checkpointPath) }
        return checkpointSHA256.map { "LiteMedSAM image encoder; checkpoint sha256 \($0); precision \(model.precision.rawValue); preprocessing reference-v1" }
    }
    private var checkpointSHA256: String?

    public func archive(_ embedding: ImageEmbedding) -> Data? { embedding.archived }

    public func unarchive(_ data: Data, height: Int, width: Int) -> ImageEmbedding? {
        ImageEmbedding(archived: data, channels: model.configuration.neckDim, size: model.configuration.embeddingSize,
                       height: height, width: width)
    }

    public func pixelBox(fromModelBox box: SIMD4<Float>, height: Int, width: Int) -> SIMD4<Double> {
        let f = Double(max(height, width)) / Double(preprocessor.targetSize)
        return SIMD4(Double(box[0]) * f, Double(box[1]) * f, Double(box[2]) * f, Double(box[3]) * f)
    }
}
