import CKernels
import Foundation
import VoxSAMCore

/// The encoder input of one slice: (1, 3, S, S) float NCHW (S = 256) plus the geometry needed to
/// undo the resize (README 2.2).
public struct PreprocessedImage: Sendable {
    /// (1, 3, size, size) NCHW, values in [0, 1], zero padding bottom/right.
    public let tensor: [Float]
    public let size: Int
    /// Size of the resized (unpadded) image inside the tensor.
    public let newHeight: Int, newWidth: Int
    /// Size of the original slice.
    public let height: Int, width: Int

    public init(tensor: [Float], size: Int, newHeight: Int, newWidth: Int, height: Int, width: Int) {
        precondition(tensor.count == 3 * size * size)
        self.tensor = tensor
        self.size = size
        self.newHeight = newHeight
        self.newWidth = newWidth
        self.height = height
        self.width = width
    }
}

/// Output of the image encoder, (1, 256, 64, 64), reusable for any number of prompts.
/// Stored channel-last ([64*64][256]), which is what the mask decoder consumes.
public final class ImageEmbedding: @unchecked Sendable {
    public let channels: Int
    public let size: Int
    /// Geometry of the slice this embedding came from.
    public let newHeight: Int, newWidth: Int, height: Int, width: Int
    let tokens: FloatBuffer  // [size*size][channels]

    convenience init(tokens: FloatBuffer, channels: Int, size: Int, from input: PreprocessedImage) {
        self.init(tokens: tokens, channels: channels, size: size, newHeight: input.newHeight,
                  newWidth: input.newWidth, height: input.height, width: input.width)
    }

    /// An embedding from PyTorch-layout values (1, channels, size, size), e.g. a cached one.
    public convenience init(nchw: [Float], channels: Int, size: Int, newHeight: Int, newWidth: Int, height: Int,
                            width: Int) {
        precondition(nchw.count == channels * size * size)
        let hw = size * size
        let t = FloatBuffer(count: hw * channels)
        for c in 0..<channels { for i in 0..<hw { t.p[i * channels + c] = nchw[c * hw + i] } }
        self.init(tokens: t, channels: channels, size: size, newHeight: newHeight, newWidth: newWidth,
                  height: height, width: width)
    }

    init(tokens: FloatBuffer, channels: Int, size: Int, newHeight: Int, newWidth: Int, height: Int, width: Int) {
        self.tokens = tokens
        self.channels = channels
        self.size = size
        self.newHeight = newHeight
        self.newWidth = newWidth
        self.height = height
        self.width = width
    }

    /// The embedding as bytes (the embedding cache's payload): six little-endian Int32 — channels,
    /// size, newHeight, newWidth, height, width — then the channel-last float32 values.
    public var archived: Data {
        var d = Data(capacity: 24 + size * size * channels * 4)
        for v in [channels, size, newHeight, newWidth, height, width] { withUnsafeBytes(of: Int32(v).littleEndian) { d.append(contentsOf: $0) } }
        d.append(UnsafeBufferPointer(start: tokens.p, count: size * size * channels))
        return d
    }

    /// The inverse of `archived`; nil unless the bytes hold exactly `channels` × `size`² values and the
    /// slice geometry given.
    public convenience init?(archived d: Data, channels: Int, size: Int, height: Int, width: Int) {
        let count = size * size * channels
        guard d.count == 24 + count * 4 else { return nil }
        let head: [Int] = d.withUnsafeBytes { b in (0..<6).map { Int(Int32(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) } }
        guard head[0] == channels, head[1] == size, head[4] == height, head[5] == width,
              (1...size * 16).contains(head[2]), (1...size * 16).contains(head[3]) else { return nil }
        let t = FloatBuffer(count: count)
        d.withUnsafeBytes { b in UnsafeMutableRawPointer(t.p).copyMemory(from: b.baseAddress! + 24, byteCount: count * 4) }
        self.init(tokens: t, channels: channels, size: size, newHeight: head[2], newWidth: head[3], height: height, width: width)
    }

    /// Channel-last values [size*size][channels].
    public var channelLast: [Float] { Array(UnsafeBufferPointer(start: tokens.p, count: size * size * channels)) }

    /// PyTorch layout (1, channels, size, size).
    public var nchw: [Float] {
        let hw = size * size
        var out = [Float](repeating: 0, count: hw * channels)
        for i in 0..<hw { for c in 0..<channels { out[c * hw + i] = tokens.p[i * channels + c] } }
        return out
    }
}

/// Low-resolution mask logits of the decoder and their predicted IoU.
public struct MaskPrediction: Sendable {
    /// (count, size, size) logits, size = 256 (the padded encoder frame).
    public let logits: [Float]
    /// Predicted IoU of each returned mask.
    public let iou: [Float]
    public let count: Int
    public let size: Int

    /// The logits of mask `i` as a size x size plane.
    public func plane(_ i: Int) -> ArraySlice<Float> { logits[(i * size * size)..<((i + 1) * size * size)] }
}

/// LiteMedSAM: TinyViT image encoder + SAM prompt encoder + SAM mask decoder, on OpenBLAS.
///
/// One instance may be used from one thread at a time (calls are serialised by a lock); inside,
/// each call splits its work over `threads` workers (fixed when the model is made), GEMMs included:
/// each block a single-threaded OpenBLAS call (`OpenBLASRuntime.keepBLASSingleThreaded` keeps OpenBLAS's
/// own thread pool at one thread).
public final class LiteMedSAM: @unchecked Sendable {
    public let configuration: LiteMedSAMConfiguration
    public let checkpointPath: String
    let imageEncoder: TinyViT
    let promptEncoder: PromptEncoder
    let maskDecoder: MaskDecoder
    let densePE: FloatBuffer  // [e*e][C]
    /// Workers per call: `--threads`, `VOXSAM_THREADS` or every core (`OpenBLASRuntime.threadCount`).
    public let threads: Int
    /// The encoder arithmetic that runs (`fp32` or `int8`; never `auto`): the requested precision
    /// resolved against this CPU.
    public let precision: Precision
    private let parallel: Parallel
    private let encoderWorkspace: Workspace
    private let decoderWorkspace: Workspace
    /// The embedding whose prompt-independent decoder inputs are in the decoder workspace
    /// ("dec.keys0", "dec.kk0"); weak, so a freed embedding can never match a new one.
    private weak var preparedEmbedding: ImageEmbedding?
    private var preparedBuffer: UnsafeMutablePointer<Float>?
    private let lock = NSLock()

    /// Loads a PyTorch checkpoint (`lite_medsam.pth`) strictly: every tensor must exist with the
    /// expected shape and nothing may be left over. A folder with `index.txt` + raw tensors works too.
    ///
    /// `precision` is resolved against this CPU (`Precision.resolved(for:)`: `auto` becomes int8 with
    /// AVX-512 VNNI, else fp32; `bf16` throws); `precision` then reports what runs.
    public convenience init(checkpointPath: String, configuration: LiteMedSAMConfiguration = .liteMedSAM,
                            threads: Int, precision: Precision = .fp32) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkpointPath, isDirectory: &isDir) else {
            throw VoxSAMError(.notFound, "model checkpoint not found", path: checkpointPath)
        }
        let source: WeightSource = isDir.boolValue
            ? try DirectoryWeightSource(path: checkpointPath)
            : try checkpointWeightSource(path: checkpointPath)
        try self.init(weights: source, path: checkpointPath, configuration: configuration, threads: threads,
                      precision: precision)
    }

    public convenience init(weights: WeightSource, path: String = "", configuration: LiteMedSAMConfiguration = .liteMedSAM,
                            threads: Int, precision: Precision = .fp32) throws {
        let resolved = try precision.resolved(for: .current)
        try self.init(weights: weights, path: path, configuration: configuration, threads: threads,
                      int8Layers: resolved == .int8 ? LiteMedSAM.defaultInt8Layers : [])
    }

    /// The encoder layers that run in int8 at `Precision.int8`: the transformer stages' qkv, proj,
    /// fc1, fc2 and the neck. Stage 0 (patch_embed, MBConv) and the PatchMergings stay fp32: each of
    /// them alone in int8 moves the embedding by 7-11 % (relative L2; qkv alone 1.5 %, fc2 4 %), all
    /// of them together by 22 % against 5.4 % for this set, for a small speed gain (encoder 0.46x
    /// instead of 0.55x of fp32). Measured by Int8EncoderTests.testLayerSensitivity.
    static let defaultInt8Layers: Int8Layers = [.qkv, .proj, .fc1, .fc2, .neck]

    /// `int8Layers` chooses the encoder's int8 GEMMs one kind at a time (tests measuring which
    /// layers cost accuracy); empty is the fp32 model.
    init(weights: WeightSource, path: String = "", configuration: LiteMedSAMConfiguration = .liteMedSAM,
         threads: Int, int8Layers: Int8Layers) throws {
        self.configuration = configuration
        precision = int8Layers.isEmpty ? .fp32 : .int8
        checkpointPath = path
        self.threads = max(1, threads)
        parallel = Parallel(threads: self.threads)
        OpenBLASRuntime.keepBLASSingleThreaded()
        encoderWorkspace = Workspace(parallel)
        decoderWorkspace = Workspace(parallel)
        let l = Loader(source: weights)
        do {
            imageEncoder = try TinyViT(l, "image_encoder", configuration: configuration, int8: int8Layers)
            maskDecoder = try MaskDecoder(l, "mask_decoder", c: configuration)
            promptEncoder = try PromptEncoder(l, "prompt_encoder", c: configuration)
            try weights.finish()
        } catch let e as VoxSAMError {
            throw VoxSAMError(.model, "checkpoint does not match the LiteMedSAM architecture: \(e.message)",
                              path: path, cause: e)
        }
        densePE = FloatBuffer(promptEncoder.densePE())
    }

    /// Runs the image encoder: (1,3,256,256) -> (1,256,64,64).
    public func encode(_ input: PreprocessedImage) -> ImageEmbedding {
        encode(input, probe: nil)
    }

    func encode(_ input: PreprocessedImage, probe: TinyViT.Probe?) -> ImageEmbedding {
        precondition(input.size == configuration.imageSize, "input size \(input.size) != \(configuration.imageSize)")
        lock.lock()
        defer { lock.unlock() }
        let e = configuration.embeddingSize, c = configuration.neckDim
        let out = FloatBuffer(count: e * e * c)
        input.tensor.withUnsafeBufferPointer { p in
            imageEncoder.forward(p.baseAddress!, into: out.p, ws: encoderWorkspace, probe: probe)
        }
        return ImageEmbedding(tokens: out, channels: c, size: e, from: input)
    }

    /// Prompt encoder + mask decoder for one box in the 256 frame ([x_min, y_min, x_max, y_max]).
    /// multimask = false returns mask 0 (what LiteMedSAM uses); true returns masks 1...3.
    public func decode(_ embedding: ImageEmbedding, box256: SIMD4<Float>, multimask: Bool = false) -> MaskPrediction {
        lock.lock()
        defer { lock.unlock() }
        let e = embedding.size, d = embedding.channels, hw = e * e
        let ws = decoderWorkspace
        let sparse = promptEncoder.embedBox(box256)
        // src = image_embeddings + dense_prompt_embeddings (no mask: no_mask_embed broadcast).
        // keys0 = image_embeddings + dense_prompt_embeddings (no mask: no_mask_embed broadcast) and
        // keys0 + image_pe do not depend on the prompt: made once per embedding (further objects on the
        // same slice reuse them; the decoder never writes them).
        let keys0 = ws.get("dec.keys0", hw * d), keysPE0 = ws.get("dec.kk0", hw * d)
        if preparedEmbedding !== embedding || preparedBuffer != keys0 {
            Profiling.measure("d:prep") {
                promptEncoder.noMaskEmbed.withUnsafeBufferPointer { nm in
                    let src = embedding.tokens.p, bias = nm.baseAddress!, pe = densePE.p
                    parallel.chunks(hw, cost: d * 4) { lo, hi in
                        vk_bias_pe_rows(src, bias, pe, keys0, keysPE0, Int32(d), lo, hi)
                    }
                }
            }
            preparedEmbedding = embedding
            preparedBuffer = keys0
        }
        let indices = multimask ? Array(1..<maskDecoder.numMaskTokens) : [0]
        let (masks, iou) = Profiling.measure("d:total") {
            maskDecoder.predictMasks(keys: keys0, keysPE: keysPE0, e: e, keyPE: densePE.p, sparse: sparse,
                                     maskIndices: indices, ws: ws)
        }
        return MaskPrediction(logits: masks, iou: indices.map { iou[$0] }, count: indices.count, size: 4 * e)
    }

    /// The most workers that ran at once since the last `resetThreadUsage()` (≤ `threads`; less
    /// than `threads` only when the machine has fewer cores or the model was never run).
    public var threadsUsed: Int { parallel.usage.peak }
    public func resetThreadUsage() { parallel.usage.reset() }

    /// Sparse prompt embeddings of a box, (1, 2, 256) — exposed for tests.
    func sparseEmbeddings(box256: SIMD4<Float>) -> [Float] { promptEncoder.embedBox(box256) }

    /// Frees the activation workspaces (they are re-created on the next call).
    public func releaseWorkspaces() {
        lock.lock()
        defer { lock.unlock() }
        encoderWorkspace.release()
        decoderWorkspace.release()
        preparedEmbedding = nil
        preparedBuffer = nil
    }
}
