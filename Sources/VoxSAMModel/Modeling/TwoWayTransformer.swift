import CKernels

// SAM two-way transformer (`mask_decoder.transformer.*`): sparse tokens [nt][C] (nt = 7: IoU token,
// 4 mask tokens, 2 box corners) and image tokens [hw][C] (channel-last image embedding, hw = 4096,
// C = 256) attend to each other.
//
// Everything on the token side is a few-row GEMM (`Linear.forFewRows`, one thread). The cross
// attentions fold their image-side projections into the token side (see `tokensToImage` and
// `imageToTokens`), so the image tokens only enter [hw][C] x [C][heads*nt] GEMMs: 4 x 58.7 MMAC per
// layer instead of 4 x 134 MMAC of projections.

/// `Attention` with optional downscaling of the internal dimension (SAM transformer.py).
struct SAMAttention {
    /// How the layer is applied, which decides which weights it needs in which layout.
    enum Role {
        case tokens          // tokens attend to tokens
        case tokensToImage   // q: tokens, k/v: image
        case imageToTokens   // q: image, k/v: tokens
    }

    let embeddingDim: Int
    let internalDim: Int
    let heads: Int
    let qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear
    let outProjT: FloatBuffer?  // out_proj.weight transposed [I][C] (imageToTokens)

    init(_ l: Loader, _ p: String, embeddingDim: Int, heads: Int, downsampleRate: Int, role: Role) throws {
        self.embeddingDim = embeddingDim
        internalDim = embeddingDim / downsampleRate
        self.heads = heads
        let q = try Linear(l, p + ".q_proj", in: embeddingDim, out: internalDim)
        let k = try Linear(l, p + ".k_proj", in: embeddingDim, out: internalDim)
        let v = try Linear(l, p + ".v_proj", in: embeddingDim, out: internalDim)
        let o = try Linear(l, p + ".out_proj", in: internalDim, out: embeddingDim)
        switch role {
        case .tokens:
            (qProj, kProj, vProj, outProj) = (q.forFewRows(), k.forFewRows(), v.forFewRows(), o.forFewRows())
            outProjT = nil
        case .tokensToImage:
            (qProj, kProj, vProj, outProj) = (q.forFewRows(), k, v, o.forFewRows())
            outProjT = nil
        case .imageToTokens:
            (qProj, kProj, vProj, outProj) = (q, k.forFewRows(), v.forFewRows(), o)
            let c = embeddingDim, i = internalDim, w = o.weight.p
            let t = FloatBuffer(count: i * c)
            for r in 0..<c { for k in 0..<i { t.p[k * c + r] = w[r * i + k] } }
            outProjT = t
        }
    }

    var headDim: Int { internalDim / heads }

    /// Token self-attention: out[nt][C] = (residual +) out_proj(attn(q_proj(q), k_proj(k), v_proj(v))),
    /// q, k, v [nt][C]. Tiny (nt = 7), so on the calling thread.
    func callAsFunction(q: CFPtr, k: CFPtr, v: CFPtr, nt: Int, into out: FPtr, residual: CFPtr?, ws: Workspace) {
        let i = internalDim, hd = headDim
        let qp = ws.get("dec.qp", nt * i), kp = ws.get("dec.kp", nt * i), vp = ws.get("dec.vp", nt * i)
        let o = ws.get("dec.o", nt * i)                   // [nt][I]
        qProj(q, rows: nt, into: qp, ws: ws)
        kProj(k, rows: nt, into: kp, ws: ws)
        vProj(v, rows: nt, into: vp, ws: ws)
        let scratch = ws.get("dec.attn.scratch", nt)
        for h in 0..<heads {
            vk_attention_head(qp + h * hd, Int32(i), kp + h * hd, Int32(i), vp + h * hd, Int32(i), o + h * hd, Int32(i),
                              Int32(nt), Int32(hd), 0, Int32(nt), scratch)
        }
        outProj(o, rows: nt, into: out, residual: residual, ws: ws)
    }

    /// Few tokens attend to many image tokens: out[nt][C] = residual + out_proj(attn(q_proj(q),
    /// k_proj(k), v_proj(v))) with q [nt][C] and k, v [hw][C].
    ///
    /// Per head h and token j the scores are (q_hj . (k W_kh^T + b_kh)) / sqrt(hd) = k . A_hj + const,
    /// A_hj = W_kh^T q_hj / sqrt(hd); the constant (q_hj . b_kh) cancels in the softmax. The output
    /// o_hj = sum_i p_hji (v_i W_vh^T + b_vh) = (sum_i p_hji v_i) W_vh^T + b_vh since the p sum to 1.
    func tokensToImage(q: CFPtr, nt: Int, k: CFPtr, v: CFPtr, hw: Int, into out: FPtr, residual: CFPtr,
                       ws: Workspace) {
        let c = embeddingDim, i = internalDim, hd = headDim, g = heads * nt
        let qp = ws.get("dec.qp", nt * i)                 // [nt][I]
        qProj(q, rows: nt, into: qp, ws: ws)
        let a = ws.get("dec.fold", g * c)                 // A [heads*nt][C]
        vk_fold_heads(qp, Int32(i), kProj.weight.p, Int32(c), Int32(nt), Int32(heads), Int32(hd),
                      1 / Float(hd).squareRoot(), a)
        let s = ws.get("dec.scores", g * hw)              // [heads*nt][hw]
        let t = ws.par.threads
        Profiling.measure("gemm") {
            ws.par.split(hw, parts: ws.par.parts, align: 16) { lo, hi in
                vk_gemm_xwt(a, Int32(c), k + lo * c, Int32(c), s + lo, Int32(hw), Int32(g), Int32(hi - lo), Int32(c), 0)
            }
        }
        Profiling.measure("softmax") {
            ws.par.split(g, parts: t) { lo, hi in vk_softmax_rows(s, Int32(hw), Int32(hw), lo, hi) }
        }
        let u = ws.get("dec.u", g * c)                    // U = P v [heads*nt][C]
        Profiling.measure("gemm") {
            ws.par.split(c, parts: t, align: 16) { lo, hi in
                vk_gemm_xw(s, Int32(hw), v + lo, Int32(c), u + lo, Int32(c), Int32(g), Int32(hi - lo), Int32(hw), 0)
            }
        }
        let o = ws.get("dec.o", nt * i)                   // [nt][I]
        vk_unfold_heads(u, vProj.weight.p, vProj.bias!.p, Int32(c), Int32(nt), Int32(heads), Int32(hd), o, Int32(i))
        outProj(o, rows: nt, into: out, residual: residual, ws: ws)
    }

    /// Many image tokens attend to a few tokens: out[hw][C] = out_proj(attn(q_proj(q), k_proj(k),
    /// v_proj(v))) WITHOUT the out_proj bias, q [hw][C], k, v [nt][C]; `epilogue(lo, hi)` runs on
    /// each finished block of rows [lo, hi) of out (on the thread that made it).
    ///
    /// Scores: (q W_qh^T + b_qh) . k_hj / sqrt(hd) = q . B_hj + c_hj, B_hj = W_qh^T k_hj / sqrt(hd);
    /// output: sum_hj p_hj (v_hj W_oh^T) = P Z with Z_hj = v_hj W_oh^T. The scores are kept
    /// transposed, [heads*nt][hw], so that the per-head softmax over nt runs down columns and each
    /// block of image tokens is scored and normalised by one thread.
    func imageToTokens(q: CFPtr, hw: Int, k: CFPtr, v: CFPtr, nt: Int, into out: FPtr, ws: Workspace,
                       epilogue: (Int, Int) -> Void) {
        let c = embeddingDim, i = internalDim, hd = headDim, g = heads * nt
        let scale = 1 / Float(hd).squareRoot()
        let kp = ws.get("dec.kp", nt * i), vp = ws.get("dec.vp", nt * i)   // [nt][I]
        kProj(k, rows: nt, into: kp, ws: ws)
        vProj(v, rows: nt, into: vp, ws: ws)
        let b = ws.get("dec.fold", g * c)                 // B [heads*nt][C]
        vk_fold_heads(kp, Int32(i), qProj.weight.p, Int32(c), Int32(nt), Int32(heads), Int32(hd), scale, b)
        let cb = ws.get("dec.foldbias", g)                // c [heads*nt]
        vk_fold_heads_bias(kp, Int32(i), qProj.bias!.p, Int32(nt), Int32(heads), Int32(hd), scale, cb)
        let z = ws.get("dec.z", g * c)                    // Z [heads*nt][C]
        vk_fold_heads(vp, Int32(i), outProjT!.p, Int32(c), Int32(nt), Int32(heads), Int32(hd), 1, z)
        let s = ws.get("dec.scores", g * hw)              // S^T [heads*nt][hw]
        let parts = ws.par.parts
        Profiling.measure("gemm") {
            ws.par.split(hw, parts: parts, align: 16) { lo, hi in
                vk_gemm_xwt(b, Int32(c), q + lo * c, Int32(c), s + lo, Int32(hw), Int32(g), Int32(hi - lo), Int32(c), 0)
                vk_head_softmax_cols(s, hw, cb, Int32(heads), Int32(nt), lo, hi)
            }
        }
        Profiling.measure("gemm") {   // out [hw][C] = (S^T)^T Z
            ws.par.split(hw, parts: parts, align: 16) { lo, hi in
                vk_gemm_tn(s + lo, Int32(hw), z, Int32(c), out + lo * c, Int32(c), Int32(hi - lo), Int32(c), Int32(g), 0)
                epilogue(lo, hi)
            }
        }
    }
}

/// `transformer.layers.i`.
struct TwoWayAttentionBlock {
    let selfAttn: SAMAttention
    let norm1: LayerNorm
    let crossAttnTokenToImage: SAMAttention
    let norm2: LayerNorm
    let mlpLin1: Linear   // mlp.lin1 (ReLU)
    let mlpLin2: Linear   // mlp.lin2
    let norm3: LayerNorm
    let norm4: LayerNorm
    let crossAttnImageToToken: SAMAttention
    let skipFirstLayerPE: Bool

    init(_ l: Loader, _ p: String, c: LiteMedSAMConfiguration, skipFirstLayerPE: Bool) throws {
        let d = c.promptEmbedDim, eps = c.layerNormEps
        selfAttn = try SAMAttention(l, p + ".self_attn", embeddingDim: d, heads: c.decoderHeads, downsampleRate: 1,
                                    role: .tokens)
        norm1 = try LayerNorm(l, p + ".norm1", dim: d, eps: eps)
        crossAttnTokenToImage = try SAMAttention(l, p + ".cross_attn_token_to_image", embeddingDim: d,
                                                 heads: c.decoderHeads, downsampleRate: c.attentionDownsampleRate,
                                                 role: .tokensToImage)
        norm2 = try LayerNorm(l, p + ".norm2", dim: d, eps: eps)
        mlpLin1 = try Linear(l, p + ".mlp.lin1", in: d, out: c.decoderMLPDim).forFewRows()
        mlpLin2 = try Linear(l, p + ".mlp.lin2", in: c.decoderMLPDim, out: d).forFewRows()
        norm3 = try LayerNorm(l, p + ".norm3", dim: d, eps: eps)
        norm4 = try LayerNorm(l, p + ".norm4", dim: d, eps: eps)
        crossAttnImageToToken = try SAMAttention(l, p + ".cross_attn_image_to_token", embeddingDim: d,
                                                 heads: c.decoderHeads, downsampleRate: c.attentionDownsampleRate,
                                                 role: .imageToTokens)
        self.skipFirstLayerPE = skipFirstLayerPE
    }

    /// queries [nt][C] updated in place; image tokens keysIn [hw][C] and keysPEIn = keysIn + keyPE
    /// [hw][C] in, keys and keysPE (the same, updated) out. The outputs may be the inputs (in place).
    func callAsFunction(queries: FPtr, nt: Int, keysIn: CFPtr, keysPEIn: CFPtr, keys: FPtr, keysPE: FPtr, hw: Int,
                        queryPE: CFPtr, keyPE: CFPtr, ws: Workspace) {
        let d = norm1.dim
        let tq = ws.get("dec.tq", nt * d), tq2 = ws.get("dec.tq2", nt * d)
        // Self attention of the tokens.
        Profiling.measure("d:self") {
            if skipFirstLayerPE {
                selfAttn(q: queries, k: queries, v: queries, nt: nt, into: tq2, residual: nil, ws: ws)
            } else {
                vk_add(queries, queryPE, tq, 0, nt * d)
                selfAttn(q: tq, k: tq, v: queries, nt: nt, into: tq2, residual: queries, ws: ws)
            }
            norm1.rows(tq2, nt, into: queries)
        }
        // Tokens attend to the image.
        vk_add(queries, queryPE, tq, 0, nt * d)
        Profiling.measure("d:t2i") {
            crossAttnTokenToImage.tokensToImage(q: tq, nt: nt, k: keysPEIn, v: keysIn, hw: hw, into: tq2,
                                                residual: queries, ws: ws)
            norm2.rows(tq2, nt, into: queries)
        }
        // MLP on the tokens.
        Profiling.measure("d:mlp") {
            let hid = ws.get("dec.mlp", nt * mlpLin1.outFeatures)
            mlpLin1(queries, rows: nt, into: hid, act: .relu, ws: ws)
            mlpLin2(hid, rows: nt, into: tq2, residual: queries, ws: ws)
            norm3.rows(tq2, nt, into: queries)
        }
        // The image attends to the tokens; keys = norm4(keys + attn), keysPE = keys + keyPE (row
        // blocks as the attention output is made: keysPEIn may be keysPE, but each block of
        // keysPEIn is read, by the scores GEMM, before any block is written).
        vk_add(queries, queryPE, tq, 0, nt * d)
        let attn = ws.get("dec.newkeys", hw * d)
        let bias = crossAttnImageToToken.outProj.bias!.p
        Profiling.measure("d:i2t") {
            crossAttnImageToToken.imageToTokens(q: keysPEIn, hw: hw, k: tq, v: queries, nt: nt, into: attn, ws: ws) { lo, hi in
                vk_bias_residual_layernorm_rows(attn, bias, keysIn, norm4.weight.p, norm4.bias.p, Int32(d), norm4.eps,
                                                keys, keyPE, keysPE, lo, hi)
            }
        }
    }
}

/// `mask_decoder.transformer`.
struct TwoWayTransformer {
    let layers: [TwoWayAttentionBlock]
    let finalAttnTokenToImage: SAMAttention
    let normFinalAttn: LayerNorm

    init(_ l: Loader, _ p: String, c: LiteMedSAMConfiguration) throws {
        layers = try (0..<c.decoderDepth).map {
            try TwoWayAttentionBlock(l, "\(p).layers.\($0)", c: c, skipFirstLayerPE: $0 == 0)
        }
        finalAttnTokenToImage = try SAMAttention(l, p + ".final_attn_token_to_image", embeddingDim: c.promptEmbedDim,
                                                 heads: c.decoderHeads, downsampleRate: c.attentionDownsampleRate,
                                                 role: .tokensToImage)
        normFinalAttn = try LayerNorm(l, p + ".norm_final_attn", dim: c.promptEmbedDim, eps: c.layerNormEps)
    }

    /// tokens [nt][C] (= query PE); keysIn [hw][C] (image + dense prompt) and keysPEIn = keysIn +
    /// keyPE [hw][C], read only (they may be cached for several prompts); keys, keysPE [hw][C] working
    /// buffers; keyPE [hw][C]. On return queries [nt][C] holds the tokens; returns the image tokens
    /// [hw][C] (keys, or keysIn for a transformer without layers).
    func callAsFunction(tokens: CFPtr, queries: FPtr, nt: Int, keysIn: CFPtr, keysPEIn: CFPtr, keys: FPtr,
                        keysPE: FPtr, hw: Int, keyPE: CFPtr, ws: Workspace) -> CFPtr {
        let d = normFinalAttn.dim
        queries.update(from: tokens, count: nt * d)
        var (k, kpe) = (keysIn, keysPEIn)
        for layer in layers {
            layer(queries: queries, nt: nt, keysIn: k, keysPEIn: kpe, keys: keys, keysPE: keysPE, hw: hw,
                  queryPE: tokens, keyPE: keyPE, ws: ws)
            (k, kpe) = (CFPtr(keys), CFPtr(keysPE))
        }
        let tq = ws.get("dec.tq", nt * d), tq2 = ws.get("dec.tq2", nt * d)
        vk_add(queries, tokens, tq, 0, nt * d)
        Profiling.measure("d:final") {
            finalAttnTokenToImage.tokensToImage(q: tq, nt: nt, k: kpe, v: k, hw: hw, into: tq2, residual: queries, ws: ws)
        }
        normFinalAttn.rows(tq2, nt, into: queries)
        return k
    }
}
