/// Every hyperparameter of a LiteMedSAM-style model (TinyViT image encoder + SAM prompt encoder +
/// two-way-transformer mask decoder) in one place, so other SAM-family checkpoints with the same
/// module tree but other sizes can be added as further static configurations.
public struct LiteMedSAMConfiguration: Sendable, Equatable {
    // MARK: Image encoder (TinyViT, MedSAM's MobileSAM variant)
    /// Side of the square encoder input.
    public var imageSize = 256
    public var inChannels = 3
    public var embedDims = [64, 128, 160, 320]
    public var depths = [2, 2, 6, 2]
    public var numHeads = [2, 4, 5, 10]
    public var windowSizes = [7, 7, 14, 7]
    public var mlpRatio = 4
    public var mbconvExpandRatio = 4
    public var localConvSize = 3
    /// PatchMerging uses stride 1 (instead of 2) when its output dim is one of these.
    public var patchMergingStride1Dims = [320, 448, 576]
    /// Output channels of the neck (= prompt embedding dim).
    public var neckDim = 256
    public var layerNormEps: Float = 1e-5
    public var layerNorm2dEps: Float = 1e-6
    public var batchNormEps: Float = 1e-5

    // MARK: Prompt encoder
    public var promptEmbedDim = 256
    public var maskInChannels = 16

    // MARK: Mask decoder
    public var decoderDepth = 2
    public var decoderHeads = 8
    public var decoderMLPDim = 2048
    public var attentionDownsampleRate = 2
    public var numMultimaskOutputs = 3
    public var iouHeadDepth = 3
    public var iouHeadHiddenDim = 256

    public init() {}

    /// LiteMedSAM (bowang-lab/MedSAM, branch LiteMedSAM; `lite_medsam.pth`).
    public static let liteMedSAM = LiteMedSAMConfiguration()

    /// Number of mask tokens (multimask outputs + the single-mask output).
    public var numMaskTokens: Int { numMultimaskOutputs + 1 }

    /// Spatial resolution at the input of encoder stage `i` (after the stride of earlier merges).
    public func stageResolution(_ i: Int) -> Int {
        var r = imageSize
        for j in 0..<i where patchMergingStride(j) == 2 { r = (r - 1) / 2 + 1 }
        return r
    }

    /// Stride of the PatchMerging at the end of stage `i` (stages 0..<last have one).
    public func patchMergingStride(_ i: Int) -> Int {
        let outDim = embedDims[min(i + 1, embedDims.count - 1)]
        return patchMergingStride1Dims.contains(outDim) ? 1 : 2
    }

    /// Side of the image embedding grid (64 for LiteMedSAM).
    public var embeddingSize: Int { stageResolution(embedDims.count - 1) }
}
