import CKernels

// Building blocks shared by the encoder and the decoder. All activations are channel-last:
// an image of H x W pixels with C channels is [H*W][C] (= PyTorch's NLC token layout).

typealias FPtr = UnsafeMutablePointer<Float>
typealias CFPtr = UnsafePointer<Float>

enum Activation: Int32 {
    case none = 0, gelu = 1, relu = 2
}

/// nn.Linear (also a 1x1 convolution, optionally with a folded BatchNorm). weight: [out][in].
struct Linear {
    let inFeatures: Int
    let outFeatures: Int
    let weight: FloatBuffer   // [out][in]
    let bias: FloatBuffer?    // [out]
    /// [in][out], only for layers applied to a few rows (decoder tokens): see `forFewRows()`.
    let weightT: FloatBuffer?
    /// The int8 weight when the layer runs in int8 (encoder layers at `Precision.int8`): see
    /// `quantized(_:)`. The fp32 weight is kept (the pad-token qkv and tests read it).
    let q8: QuantizedWeight?

    init(weight: [Float], bias: [Float]?, inFeatures: Int, outFeatures: Int) {
        precondition(weight.count == inFeatures * outFeatures)
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.weight = FloatBuffer(weight)
        self.bias = bias.map { FloatBuffer($0) }
        weightT = nil
        q8 = nil
    }

    private init(_ l: Linear, weightT: FloatBuffer?, q8: QuantizedWeight?) {
        inFeatures = l.inFeatures
        outFeatures = l.outFeatures
        weight = l.weight
        bias = l.bias
        self.weightT = weightT
        self.q8 = q8
    }

    /// The same layer computing in int8 (`vk_q8_gemm`: weight quantized here, once, per output
    /// channel; activations per row on every call) when `int8` is true, else unchanged.
    func quantized(_ int8: Bool) -> Linear {
        guard int8 else { return self }
        return Linear(self, weightT: weightT, q8: QuantizedWeight(weight.p, outFeatures: outFeatures, inFeatures: inFeatures))
    }

    /// Rows up to this many go to `vk_gemm_few_rows` when the layer has a transposed weight.
    static let fewRows = 16

    /// The same layer with a transposed copy of the weight, so that calls on at most `fewRows` rows
    /// run `vk_gemm_few_rows` on the calling thread instead of OpenBLAS (which packs the weight and
    /// wakes its threads on every call).
    func forFewRows() -> Linear {
        let t = FloatBuffer(count: inFeatures * outFeatures)
        for o in 0..<outFeatures { for i in 0..<inFeatures { t.p[i * outFeatures + o] = weight.p[o * inFeatures + i] } }
        return Linear(self, weightT: t, q8: q8)
    }

    /// `prefix.weight` [out][in] (+ `prefix.bias` [out]).
    init(_ l: Loader, _ prefix: String, in i: Int, out o: Int, bias: Bool = true) throws {
        self.init(weight: try l.take(prefix + ".weight", [o, i]),
                  bias: bias ? try l.take(prefix + ".bias", [o]) : nil, inFeatures: i, outFeatures: o)
    }

    /// Conv2d_BN with kernel 1 (`prefix.c.weight` + `prefix.bn.*`), BN folded in.
    init(convBN l: Loader, _ prefix: String, in i: Int, out o: Int, eps: Float) throws {
        let (w, b) = try l.convBN(prefix, cout: o, cinPerGroup: i, k: 1, eps: eps)
        self.init(weight: w, bias: b, inFeatures: i, outFeatures: o)
    }

    /// y[rows][out] = act(x[rows][in] W^T + b (+ residual)). x rows have stride ldx (default in).
    func callAsFunction(_ x: CFPtr, rows: Int, into y: FPtr, ldx: Int? = nil, ldy: Int? = nil,
                        act: Activation = .none, residual: CFPtr? = nil, ldr: Int? = nil, ws: Workspace) {
        let ldy = ldy ?? outFeatures
        if let wt = weightT, rows <= Linear.fewRows {
            vk_gemm_few_rows(x, Int32(ldx ?? inFeatures), wt.p, Int32(outFeatures), y, Int32(ldy), Int32(rows),
                             Int32(outFeatures), Int32(inFeatures), 0)
            vk_bias_act(y, Int32(ldy), bias.map { CFPtr($0.p) }, residual, Int32(ldr ?? outFeatures), Int32(outFeatures),
                        0, rows, act.rawValue)
            return
        }
        // Blocks of rows over the Dispatch threads (taken as they come free), each a single-threaded
        // OpenBLAS call followed by its epilogue while the block is in cache. OpenBLAS's own threads
        // stay idle (`OpenBLASRuntime.keepBLASSingleThreaded`).
        let ldx = ldx ?? inFeatures, ldr = ldr ?? outFeatures, b = bias.map { CFPtr($0.p) }
        let parts = rows * inFeatures * outFeatures >= 1 << 21 ? ws.par.parts : 1
        if let q = q8 {
            // int8: each block quantizes its rows into its own scratch (one per part, from the
            // workspace), runs the integer GEMM and the same epilogue as below, block by block.
            let floats = (q.scratchBytes + 3) / 4
            let scratches = (0..<parts).map { ws.get("q8.scratch\($0)", floats) }
            Profiling.measure("gemm_int8") {
                withUnsafePointer(to: q.descriptor) { qd in
                    ws.par.indexedSplit(rows, parts: parts, align: 16) { i, lo, hi in
                        vk_q8_gemm(x + lo * ldx, Int32(ldx), qd, y + lo * ldy, Int32(ldy), Int32(hi - lo), b,
                                   residual.map { $0 + lo * ldr }, Int32(ldr), act.rawValue, 0, scratches[i],
                                   Int32(VK_Q8_AUTO))
                    }
                }
            }
            return
        }
        Profiling.measure("gemm") {
            ws.par.split(rows, parts: parts, align: 16) { lo, hi in
                vk_gemm_xwt(x + lo * ldx, Int32(ldx), weight.p, Int32(inFeatures), y + lo * ldy, Int32(ldy),
                            Int32(hi - lo), Int32(outFeatures), Int32(inFeatures), 0)
                vk_bias_act(y, Int32(ldy), b, residual, Int32(ldr), Int32(outFeatures), lo, hi, act.rawValue)
            }
        }
    }

    /// y = x W^T + b for a single vector (decoder tokens); no threads.
    func vector(_ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: outFeatures)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if let wt = weightT {
                    vk_gemm_few_rows(xp.baseAddress!, Int32(inFeatures), wt.p, Int32(outFeatures), yp.baseAddress!,
                                     Int32(outFeatures), 1, Int32(outFeatures), Int32(inFeatures), 0)
                } else {
                    vk_gemm_xwt(xp.baseAddress!, Int32(inFeatures), weight.p, Int32(inFeatures), yp.baseAddress!,
                                Int32(outFeatures), 1, Int32(outFeatures), Int32(inFeatures), 0)
                }
                if let b = bias { for o in 0..<outFeatures { yp[o] += b.p[o] } }
            }
        }
        return y
    }
}

/// nn.LayerNorm over the channel dimension (also LayerNorm2d of SAM/TinyViT in channel-last layout).
struct LayerNorm {
    let dim: Int
    let eps: Float
    let weight: FloatBuffer
    let bias: FloatBuffer

    init(_ l: Loader, _ prefix: String, dim: Int, eps: Float) throws {
        self.dim = dim
        self.eps = eps
        weight = try l.buffer(prefix + ".weight", [dim])
        bias = try l.buffer(prefix + ".bias", [dim])
    }

    /// y[rows][dim] = LN(x) (y may equal x), on the calling thread (a few token rows).
    func rows(_ x: CFPtr, _ rows: Int, into y: FPtr) {
        vk_layernorm_rows(x, y, weight.p, bias.p, Int32(dim), eps, 0, rows)
    }

    /// y[rows][dim] = LN(x) (y may equal x).
    func callAsFunction(_ x: CFPtr, rows: Int, into y: FPtr, ws: Workspace) {
        Profiling.measure("layernorm") {
            ws.par.chunks(rows, cost: dim * 4) { lo, hi in
                vk_layernorm_rows(x, y, weight.p, bias.p, Int32(dim), eps, lo, hi)
            }
        }
    }
}

/// Depthwise 3x3 Conv2d_BN (groups = channels, padding 1), BN folded in. Weight kept tap-major.
struct DepthwiseConvBN {
    let channels: Int
    let stride: Int
    let weight: FloatBuffer  // [9][C]
    let bias: FloatBuffer    // [C]

    init(_ l: Loader, _ prefix: String, channels c: Int, stride: Int, eps: Float) throws {
        let (w, b) = try l.convBN(prefix, cout: c, cinPerGroup: 1, k: 3, eps: eps)
        channels = c
        self.stride = stride
        weight = FloatBuffer(depthwiseTapMajor(w, channels: c))
        bias = FloatBuffer(b)
    }

    func outputSize(_ h: Int, _ w: Int) -> (Int, Int) { ((h - 1) / stride + 1, (w - 1) / stride + 1) }

    /// Output rows [y0, y1) of the image, reading `x` (image rows from inY0) and writing `y`
    /// (image rows from outY0).
    func band(_ x: CFPtr, inY0: Int, h: Int, w: Int, into y: FPtr, outY0: Int, rows y0: Int, _ y1: Int, act: Activation,
              ws: Workspace) {
        let wo = (w - 1) / stride + 1
        Profiling.measure("dwconv") {
            ws.par.chunks(y1 - y0, cost: wo * channels * 9) { lo, hi in
                vk_dwconv3x3_band(x, Int32(inY0), Int32(h), Int32(w), Int32(channels), weight.p, bias.p, y,
                                  Int32(outY0), Int32(stride), act.rawValue, Int32(y0 + lo), Int32(y0 + hi))
            }
        }
    }

    /// out[Ho*Wo][C] = act(dwconv(in[H*W][C]) + b).
    func callAsFunction(_ x: CFPtr, h: Int, w: Int, into y: FPtr, act: Activation, ws: Workspace) {
        let (ho, wo) = outputSize(h, w)
        Profiling.measure("dwconv") {
            ws.par.chunks(ho, cost: wo * channels * 9) { lo, hi in
                vk_dwconv3x3(x, Int32(h), Int32(w), Int32(channels), weight.p, bias.p, y, Int32(stride),
                             act.rawValue, Int32(lo), Int32(hi))
            }
        }
    }
}

/// SAM's MLP (MaskFormer style): Linear layers with ReLU between them.
struct MLP {
    let layers: [Linear]

    init(_ l: Loader, _ prefix: String, input: Int, hidden: Int, output: Int, numLayers: Int) throws {
        let dims = [input] + Array(repeating: hidden, count: numLayers - 1) + [output]
        layers = try (0..<numLayers).map { i in
            try Linear(l, "\(prefix).layers.\(i)", in: dims[i], out: dims[i + 1]).forFewRows()
        }
    }

    func callAsFunction(_ x: [Float]) -> [Float] {
        var v = x
        for (i, layer) in layers.enumerated() {
            v = layer.vector(v)
            if i < layers.count - 1 { v = v.map { $0 > 0 ? $0 : 0 } }
        }
        return v
    }
}

/// Element-wise y = a + b over n floats, in parallel.
func addArrays(_ a: CFPtr, _ b: CFPtr, into y: FPtr, count n: Int, ws: Workspace) {
    ws.par.chunks(n) { lo, hi in vk_add(a, b, y, lo, hi) }
}
