import CKernels

// TinyViT image encoder of LiteMedSAM (MedSAM's MobileSAM variant of TinyViT-5M), channel-last.
// Module and property names follow the state-dict keys `image_encoder.*`.

/// Which of the encoder's GEMM layers compute in int8 (`Linear.quantized`); the others, and all
/// LayerNorms, softmaxes, GELUs, depthwise convolutions and attention products, stay fp32.
struct Int8Layers: OptionSet, Sendable {
    let rawValue: Int
    init(rawValue: Int) { self.rawValue = rawValue }
    /// patch_embed.seq.2 (seq.0 has 3 inputs: nothing to gain, and it sees the raw image).
    static let patchEmbed = Int8Layers(rawValue: 1 << 0)
    /// MBConv conv1 / conv3 (stage 0).
    static let mbconv = Int8Layers(rawValue: 1 << 1)
    /// PatchMerging conv1 / conv3.
    static let merge = Int8Layers(rawValue: 1 << 2)
    static let qkv = Int8Layers(rawValue: 1 << 3)
    static let proj = Int8Layers(rawValue: 1 << 4)
    static let fc1 = Int8Layers(rawValue: 1 << 5)
    static let fc2 = Int8Layers(rawValue: 1 << 6)
    /// neck.0 (1x1) and neck.2 (3x3 as im2col GEMM).
    static let neck = Int8Layers(rawValue: 1 << 7)

    static let all: Int8Layers = [.patchEmbed, .mbconv, .merge, .qkv, .proj, .fc1, .fc2, .neck]
    static let names: [(String, Int8Layers)] = [("patch_embed", .patchEmbed), ("mbconv", .mbconv), ("merge", .merge),
                                                ("qkv", .qkv), ("proj", .proj), ("fc1", .fc1), ("fc2", .fc2), ("neck", .neck)]
    var description: String { Self.names.filter { contains($0.1) }.map(\.0).joined(separator: ",") }

    /// Comma-separated names of `names` (measurements choosing layers); unknown names are ignored.
    init(names text: String) {
        self = []
        for n in text.split(separator: ",") {
            if let k = Self.names.first(where: { $0.0 == n.filter { $0 != " " } })?.1 { insert(k) }
        }
    }
}

/// `patch_embed`: Conv2d_BN(3 -> 32, 1x1) -> GELU -> Conv2d_BN(32 -> 64, 1x1); stride 1, so the
/// output keeps the input resolution: (1,3,256,256) -> [256*256][64].
struct PatchEmbed {
    let seq0: Linear  // seq.0: [32][3]
    let seq2: Linear  // seq.2: [64][32]

    init(_ l: Loader, _ p: String, inChannels: Int, embedDim: Int, eps: Float, int8: Int8Layers) throws {
        seq0 = try Linear(convBN: l, p + ".seq.0", in: inChannels, out: embedDim / 2, eps: eps)
        seq2 = try Linear(convBN: l, p + ".seq.2", in: embedDim / 2, out: embedDim, eps: eps)
            .quantized(int8.contains(.patchEmbed))
    }

    /// input: NCHW (1, Cin, H, W) -> out [H*W][embedDim]
    func callAsFunction(_ input: CFPtr, h: Int, w: Int, into out: FPtr, ws: Workspace) {
        let hw = h * w, cin = seq0.inFeatures
        let nhwc = ws.get("pe.nhwc", hw * cin)
        for c in 0..<cin { for i in 0..<hw { nhwc[i * cin + c] = input[c * hw + i] } }
        let mid = ws.get("pe.mid", hw * seq0.outFeatures)
        seq0(nhwc, rows: hw, into: mid, act: .gelu, ws: ws)
        seq2(mid, rows: hw, into: out, ws: ws)
    }
}

/// `layers.0.blocks.i`: inverted residual block. x -> conv1 (1x1, C -> 4C) -> GELU -> conv2
/// (dw 3x3) -> GELU -> conv3 (1x1, 4C -> C) -> + x -> GELU.
struct MBConv {
    let conv1: Linear
    let conv2: DepthwiseConvBN
    let conv3: Linear

    init(_ l: Loader, _ p: String, dim: Int, expand: Int, eps: Float, int8: Int8Layers) throws {
        let hidden = dim * expand
        conv1 = try Linear(convBN: l, p + ".conv1", in: dim, out: hidden, eps: eps).quantized(int8.contains(.mbconv))
        conv2 = try DepthwiseConvBN(l, p + ".conv2", channels: hidden, stride: 1, eps: eps)
        conv3 = try Linear(convBN: l, p + ".conv3", in: hidden, out: dim, eps: eps).quantized(int8.contains(.mbconv))
    }

    /// x [H*W][C] -> out [H*W][C], in bands of `bandRows` output rows so that the 4C-wide hidden
    /// activations stay small (and in cache): conv1 is computed for the band plus a 1-row halo.
    func callAsFunction(_ x: CFPtr, h: Int, w: Int, into out: FPtr, ws: Workspace, bandRows: Int = 32) {
        let hidden = conv1.outFeatures, c = conv1.inFeatures
        let b = min(bandRows, h)
        let h1 = ws.get("band1", (b + 2) * w * hidden), h2 = ws.get("band2", b * w * hidden)
        var y0 = 0
        while y0 < h {
            let y1 = min(h, y0 + b)
            let i0 = max(0, y0 - 1), i1 = min(h, y1 + 1)
            conv1(x + i0 * w * c, rows: (i1 - i0) * w, into: h1, act: .gelu, ws: ws)
            conv2.band(h1, inY0: i0, h: h, w: w, into: h2, outY0: y0, rows: y0, y1, act: .gelu, ws: ws)
            conv3(h2, rows: (y1 - y0) * w, into: out + y0 * w * c, act: .gelu, residual: x + y0 * w * c, ws: ws)
            y0 = y1
        }
    }
}

/// `layers.i.downsample`: conv1 (1x1, C -> D) -> GELU -> conv2 (dw 3x3, stride 2 or 1) -> GELU ->
/// conv3 (1x1, D -> D); [H*W][C] -> [Ho*Wo][D].
struct PatchMerging {
    let conv1: Linear
    let conv2: DepthwiseConvBN
    let conv3: Linear

    init(_ l: Loader, _ p: String, dim: Int, outDim: Int, stride: Int, eps: Float, int8: Int8Layers) throws {
        conv1 = try Linear(convBN: l, p + ".conv1", in: dim, out: outDim, eps: eps).quantized(int8.contains(.merge))
        conv2 = try DepthwiseConvBN(l, p + ".conv2", channels: outDim, stride: stride, eps: eps)
        conv3 = try Linear(convBN: l, p + ".conv3", in: outDim, out: outDim, eps: eps).quantized(int8.contains(.merge))
    }

    /// Processed in bands of `bandRows` output rows (conv1 over the input rows each band needs).
    func callAsFunction(_ x: CFPtr, h: Int, w: Int, into out: FPtr, ws: Workspace, bandRows: Int = 32) -> (Int, Int) {
        let d = conv1.outFeatures, c = conv1.inFeatures, s = conv2.stride
        let (ho, wo) = conv2.outputSize(h, w)
        let b = min(bandRows, ho)
        let h1 = ws.get("band1", min(h, b * s + 2) * w * d), h2 = ws.get("band2", b * wo * d)
        var y0 = 0
        while y0 < ho {
            let y1 = min(ho, y0 + b)
            let i0 = max(0, y0 * s - 1), i1 = min(h, (y1 - 1) * s + 2)
            conv1(x + i0 * w * c, rows: (i1 - i0) * w, into: h1, act: .gelu, ws: ws)
            conv2.band(h1, inY0: i0, h: h, w: w, into: h2, outY0: y0, rows: y0, y1, act: .gelu, ws: ws)
            conv3(h2, rows: (y1 - y0) * wo, into: out + y0 * wo * d, ws: ws)
            y0 = y1
        }
        return (ho, wo)
    }
}

/// `blocks.i.attn`: windowed multi-head self-attention with LayerNorm in front and learned
/// relative-position biases `attention_biases` [heads][#offsets] expanded through
/// `attention_bias_idxs` to `ab` [heads][N][N] (computed here; non-persistent in PyTorch).
struct Attention {
    let dim: Int
    let heads: Int
    let keyDim: Int
    let windowSize: Int
    let scale: Float
    let norm: LayerNorm
    let qkv: Linear        // [heads*3*keyDim][dim], per head q, k, v
    let proj: Linear       // [dim][heads*keyDim]
    let ab: FloatBuffer    // [heads][N][roundup(N,16)]
    let padQKV: FloatBuffer // qkv of a zero-padded token: qkv(norm(0)) = W * beta + b

    init(_ l: Loader, _ p: String, dim: Int, heads: Int, windowSize ws: Int, eps: Float, int8: Int8Layers) throws {
        self.dim = dim
        self.heads = heads
        keyDim = dim / heads
        windowSize = ws
        scale = Float(1.0 / Double(keyDim).squareRoot())
        // attention_bias_idxs: offsets (|dy|, |dx|) numbered in order of first appearance.
        let n = ws * ws
        var offsets: [Int: Int] = [:]
        var idxs = [Int](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                let key = abs(i / ws - j / ws) * 10_000 + abs(i % ws - j % ws)
                if offsets[key] == nil { offsets[key] = offsets.count }
                idxs[i * n + j] = offsets[key]!
            }
        }
        let biases = try l.take(p + ".attention_biases", [heads, offsets.count])
        norm = try LayerNorm(l, p + ".norm", dim: dim, eps: eps)
        qkv = try Linear(l, p + ".qkv", in: dim, out: 3 * dim).quantized(int8.contains(.qkv))
        proj = try Linear(l, p + ".proj", in: dim, out: dim).quantized(int8.contains(.proj))
        let np = (n + 15) / 16 * 16
        let ab = FloatBuffer(count: heads * n * np, zeroed: true)
        for h in 0..<heads {
            for i in 0..<n { for j in 0..<n { ab.p[(h * n + i) * np + j] = biases[h * offsets.count + idxs[i * n + j]] } }
        }
        self.ab = ab
        let pad = FloatBuffer(count: 3 * dim)
        for o in 0..<(3 * dim) {
            var s: Float = 0
            for i in 0..<dim { s += qkv.weight.p[o * dim + i] * norm.bias.p[i] }
            pad.p[o] = s + qkv.bias!.p[o]
        }
        padQKV = pad
    }

    /// out[H*W][dim] = x + proj(window_attention(norm(x)))  (the block's first residual included).
    func callAsFunction(_ x: CFPtr, h: Int, w: Int, into out: FPtr, ws: Workspace) {
        let hw = h * w
        let xn = ws.get("ln", hw * dim)
        norm(x, rows: hw, into: xn, ws: ws)
        let q = ws.get("qkv", hw * 3 * dim)
        qkv(xn, rows: hw, into: q, ws: ws)
        let a = ws.get("attn", hw * dim)
        let nWin = ((h + windowSize - 1) / windowSize) * ((w + windowSize - 1) / windowSize)
        let scratchCount = vk_window_attention_scratch(Int32(windowSize), Int32(keyDim), Int32(heads))
        let n = windowSize * windowSize
        let scratches = (0..<ws.par.parts).map { ws.get("attn.scratch\($0)", scratchCount) }
        Profiling.measure("window_attn") {
            ws.par.indexedChunks(nWin, cost: n * n * keyDim * heads) { t, lo, hi in
                vk_window_attention(q, padQKV.p, ab.p, a, Int32(h), Int32(w), Int32(heads), Int32(keyDim),
                                    Int32(windowSize), scale, Int32(lo), Int32(hi), scratches[t])
            }
        }
        proj(a, rows: hw, into: out, residual: x, ws: ws)
    }
}

/// `blocks.i.mlp`: LayerNorm -> fc1 -> GELU -> fc2.
struct TinyMlp {
    let norm: LayerNorm
    let fc1: Linear
    let fc2: Linear

    init(_ l: Loader, _ p: String, dim: Int, hidden: Int, eps: Float, int8: Int8Layers) throws {
        norm = try LayerNorm(l, p + ".norm", dim: dim, eps: eps)
        fc1 = try Linear(l, p + ".fc1", in: dim, out: hidden).quantized(int8.contains(.fc1))
        fc2 = try Linear(l, p + ".fc2", in: hidden, out: dim).quantized(int8.contains(.fc2))
    }

    /// out = x + mlp(x), in chunks of `chunk` tokens so the 4x-wide hidden activations stay small.
    func callAsFunction(_ x: CFPtr, rows: Int, into out: FPtr, ws: Workspace, chunk: Int = 4096) {
        let d = norm.dim, n = min(chunk, rows)
        let xn = ws.get("ln", n * d)
        let hid = ws.get("hidden1", n * fc1.outFeatures)
        var r0 = 0
        while r0 < rows {
            let m = min(n, rows - r0)
            norm(x + r0 * d, rows: m, into: xn, ws: ws)
            fc1(xn, rows: m, into: hid, act: .gelu, ws: ws)
            fc2(hid, rows: m, into: out + r0 * d, residual: x + r0 * d, ws: ws)
            r0 += m
        }
    }
}

/// `layers.i.blocks.j`: x = x + attn(x) (windowed); x = local_conv(x) (dw 3x3 + BN);
/// x = x + mlp(x).
struct TinyViTBlock {
    let attn: Attention
    let localConv: DepthwiseConvBN
    let mlp: TinyMlp

    init(_ l: Loader, _ p: String, dim: Int, heads: Int, windowSize: Int, mlpRatio: Int, c: LiteMedSAMConfiguration,
         int8: Int8Layers) throws {
        attn = try Attention(l, p + ".attn", dim: dim, heads: heads, windowSize: windowSize, eps: c.layerNormEps, int8: int8)
        mlp = try TinyMlp(l, p + ".mlp", dim: dim, hidden: dim * mlpRatio, eps: c.layerNormEps, int8: int8)
        localConv = try DepthwiseConvBN(l, p + ".local_conv", channels: dim, stride: 1, eps: c.batchNormEps)
    }

    /// x [H*W][C] -> out [H*W][C]; x is overwritten (used as scratch).
    func callAsFunction(_ x: FPtr, h: Int, w: Int, into out: FPtr, ws: Workspace) {
        attn(x, h: h, w: w, into: out, ws: ws)
        localConv(out, h: h, w: w, into: x, act: .none, ws: ws)
        mlp(x, rows: h * w, into: out, ws: ws)
    }
}

/// One encoder stage: `layers.0` is a ConvLayer (MBConv blocks), the others BasicLayers (TinyViT
/// blocks); all but the last end with a PatchMerging `downsample`.
enum EncoderStage {
    case conv(blocks: [MBConv], downsample: PatchMerging?)
    case basic(blocks: [TinyViTBlock], downsample: PatchMerging?)
}

/// `image_encoder`: patch_embed -> layers.0..3 -> neck; (1,3,256,256) -> [64*64][256].
final class TinyViT {
    let configuration: LiteMedSAMConfiguration
    let patchEmbed: PatchEmbed
    let layers: [EncoderStage]
    // neck: conv 1x1 (no bias) -> LayerNorm2d -> conv 3x3 (no bias, pad 1) -> LayerNorm2d
    let neck0: Linear
    let neck1: LayerNorm
    let neck2: Linear        // weight rearranged to [out][ky][kx][in] for im2col
    let neck3: LayerNorm

    /// The GEMM layers that compute in int8 (empty: the fp32 encoder).
    let int8Layers: Int8Layers

    init(_ l: Loader, _ p: String, configuration c: LiteMedSAMConfiguration, int8: Int8Layers = []) throws {
        configuration = c
        int8Layers = int8
        let eps = c.batchNormEps
        patchEmbed = try PatchEmbed(l, p + ".patch_embed", inChannels: c.inChannels, embedDim: c.embedDims[0], eps: eps,
                                    int8: int8)
        var layers: [EncoderStage] = []
        let n = c.embedDims.count
        for i in 0..<n {
            let dim = c.embedDims[i]
            let lp = "\(p).layers.\(i)"
            let down: PatchMerging? = i < n - 1
                ? try PatchMerging(l, lp + ".downsample", dim: dim, outDim: c.embedDims[i + 1],
                                   stride: c.patchMergingStride(i), eps: eps, int8: int8)
                : nil
            if i == 0 {
                let blocks = try (0..<c.depths[i]).map {
                    try MBConv(l, "\(lp).blocks.\($0)", dim: dim, expand: c.mbconvExpandRatio, eps: eps, int8: int8)
                }
                layers.append(.conv(blocks: blocks, downsample: down))
            } else {
                let blocks = try (0..<c.depths[i]).map {
                    try TinyViTBlock(l, "\(lp).blocks.\($0)", dim: dim, heads: c.numHeads[i],
                                     windowSize: c.windowSizes[i], mlpRatio: c.mlpRatio, c: c, int8: int8)
                }
                layers.append(.basic(blocks: blocks, downsample: down))
            }
        }
        self.layers = layers
        let last = c.embedDims[n - 1], nd = c.neckDim
        neck0 = Linear(weight: try l.take(p + ".neck.0.weight", [nd, last, 1, 1]), bias: nil, inFeatures: last, outFeatures: nd)
            .quantized(int8.contains(.neck))
        neck1 = try LayerNorm(l, p + ".neck.1", dim: nd, eps: c.layerNorm2dEps)
        let w2 = try l.take(p + ".neck.2.weight", [nd, nd, 3, 3])
        var r = [Float](repeating: 0, count: w2.count)
        for o in 0..<nd { for i in 0..<nd { for t in 0..<9 { r[(o * 9 + t) * nd + i] = w2[(o * nd + i) * 9 + t] } } }
        neck2 = Linear(weight: r, bias: nil, inFeatures: 9 * nd, outFeatures: nd).quantized(int8.contains(.neck))
        neck3 = try LayerNorm(l, p + ".neck.3", dim: nd, eps: c.layerNorm2dEps)
    }

    /// Intermediate outputs for tests: called after each stage with (stage, tokens, H, W, C).
    typealias Probe = (String, CFPtr, Int, Int, Int) -> Void

    /// input NCHW (1,3,S,S) -> out [E*E][neckDim] (E = embedding size).
    func forward(_ input: CFPtr, into out: FPtr, ws: Workspace, probe: Probe? = nil) {
        var probe = probe
        if probe == nil, Profiling.enabled {
            var last = Profiling.now()
            probe = { name, _, _, _, _ in
                let t = Profiling.now()
                Profiling.report(name, t - last)
                last = t
            }
        }
        let c = configuration
        var h = c.imageSize, w = c.imageSize
        let maxTokens = h * w * c.embedDims[0]
        var x = ws.get("x0", maxTokens), y = ws.get("x1", maxTokens)
        patchEmbed(input, h: h, w: w, into: x, ws: ws)
        probe?("patch_embed", x, h, w, c.embedDims[0])
        for (i, layer) in layers.enumerated() {
            let dim = c.embedDims[i]
            switch layer {
            case .conv(let blocks, let down):
                for b in blocks { b(x, h: h, w: w, into: y, ws: ws); swap(&x, &y) }
                if let down { (h, w) = down(x, h: h, w: w, into: y, ws: ws); swap(&x, &y) }
            case .basic(let blocks, let down):
                for b in blocks { b(x, h: h, w: w, into: y, ws: ws); swap(&x, &y) }
                if let down { (h, w) = down(x, h: h, w: w, into: y, ws: ws); swap(&x, &y) }
            }
            probe?("layers\(i)", x, h, w, i + 1 < c.embedDims.count ? c.embedDims[i + 1] : dim)
        }
        let hw = h * w, nd = c.neckDim
        let t = ws.get("neck.t", hw * nd)
        neck0(x, rows: hw, into: t, ws: ws)
        neck1(t, rows: hw, into: t, ws: ws)
        // 3x3 conv as im2col + GEMM in bands of 16 rows (keeps the 9x-wide columns small).
        let band = min(16, h)
        let col = ws.get("hidden1", band * w * 9 * nd)
        var y0 = 0
        while y0 < h {
            let y1 = min(h, y0 + band)
            let colBase = col - y0 * w * 9 * nd  // vk_im2col3x3 indexes by image row
            Profiling.measure("im2col") {
                ws.par.chunks(y1 - y0, cost: w * nd) { lo, hi in
                    vk_im2col3x3(t, Int32(h), Int32(w), Int32(nd), colBase, Int32(y0 + lo), Int32(y0 + hi))
                }
            }
            neck2(col, rows: (y1 - y0) * w, into: out + y0 * w * nd, ws: ws)
            y0 = y1
        }
        neck3(out, rows: hw, into: out, ws: ws)
        probe?("neck", out, h, w, nd)
        Profiling.flush()
    }
}
