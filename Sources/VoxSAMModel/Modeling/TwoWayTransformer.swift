import CKernels

// SAM two-way transformer (`mask_decoder.transformer.*`): sparse tokens [Nt][C] and image tokens
// [HW][C] (channel-last image embedding) attend to each other.

/// `Attention` with optional downscaling of the internal dimension (SAM transformer.py).
struct SAMAttention {
    let embeddingDim: Int
    let internalDim: Int
    let heads: Int
    let qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear

    init(_ l: Loader, _ p: String, embeddingDim: Int, heads: Int, downsampleRate: Int) throws {
        self.embeddingDim = embeddingDim
        internalDim = embeddingDim / downsampleRate
        self.heads = heads
        qProj = try Linear(l, p + ".q_proj", in: embeddingDim, out: internalDim)
        kProj = try Linear(l, p + ".k_proj", in: embeddingDim, out: internalDim)
        vProj = try Linear(l, p + ".v_proj", in: embeddingDim, out: internalDim)
        outProj = try Linear(l, p + ".out_proj", in: internalDim, out: embeddingDim)
    }

    /// Attention core on projected tensors: q [nq][I], k/v [nk][I] -> o [nq][I].
    func core(q: CFPtr, nq: Int, k: CFPtr, v: CFPtr, nk: Int, into o: FPtr, ws: Workspace) {
        let hd = internalDim / heads, ld = Int32(internalDim)
        let scratches = (0..<Parallel.threads).map { ws.get("dec.attn.scratch\($0)", nk) }
        Parallel.indexedChunks(heads * nq, cost: nk * hd * 4) { t, lo, hi in
            var i = lo
            while i < hi {
                let h = i / nq, r0 = i % nq, r1 = min(nq, r0 + (hi - i))
                vk_attention_head(q + h * hd, ld, k + h * hd, ld, v + h * hd, ld, o + h * hd, ld, Int32(nk),
                                  Int32(hd), Int32(r0), Int32(r1), scratches[t])
                i += r1 - r0
            }
        }
    }

    /// out[nq][C] = (residual +) out_proj(attn(q_proj(q), k_proj(k), v_proj(v))).
    func callAsFunction(q: CFPtr, nq: Int, k: CFPtr, v: CFPtr, nk: Int, into out: FPtr, residual: CFPtr?,
                        ws: Workspace) {
        let qp = ws.get("dec.qp", nq * internalDim)
        let kp = ws.get("dec.kp", nk * internalDim)
        let vp = ws.get("dec.vp", nk * internalDim)
        let o = ws.get("dec.o", nq * internalDim)
        qProj(q, rows: nq, into: qp)
        kProj(k, rows: nk, into: kp)
        vProj(v, rows: nk, into: vp)
        core(q: qp, nq: nq, k: kp, v: vp, nk: nk, into: o, ws: ws)
        outProj(o, rows: nq, into: out, residual: residual)
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
        selfAttn = try SAMAttention(l, p + ".self_attn", embeddingDim: d, heads: c.decoderHeads, downsampleRate: 1)
        norm1 = try LayerNorm(l, p + ".norm1", dim: d, eps: eps)
        crossAttnTokenToImage = try SAMAttention(l, p + ".cross_attn_token_to_image", embeddingDim: d,
                                                 heads: c.decoderHeads, downsampleRate: c.attentionDownsampleRate)
        norm2 = try LayerNorm(l, p + ".norm2", dim: d, eps: eps)
        mlpLin1 = try Linear(l, p + ".mlp.lin1", in: d, out: c.decoderMLPDim)
        mlpLin2 = try Linear(l, p + ".mlp.lin2", in: c.decoderMLPDim, out: d)
        norm3 = try LayerNorm(l, p + ".norm3", dim: d, eps: eps)
        norm4 = try LayerNorm(l, p + ".norm4", dim: d, eps: eps)
        crossAttnImageToToken = try SAMAttention(l, p + ".cross_attn_image_to_token", embeddingDim: d,
                                                 heads: c.decoderHeads, downsampleRate: c.attentionDownsampleRate)
        self.skipFirstLayerPE = skipFirstLayerPE
    }

    /// queries [nt][C] and keys [hw][C] updated in place.
    func callAsFunction(queries: FPtr, nt: Int, keys: FPtr, hw: Int, queryPE: CFPtr, keyPE: CFPtr, ws: Workspace) {
        let d = norm1.dim
        let tq = ws.get("dec.tq", nt * d), tq2 = ws.get("dec.tq2", nt * d)
        // Self attention of the tokens.
        if skipFirstLayerPE {
            selfAttn(q: queries, nq: nt, k: queries, v: queries, nk: nt, into: tq2, residual: nil, ws: ws)
            queries.update(from: tq2, count: nt * d)
        } else {
            addArrays(queries, queryPE, into: tq, count: nt * d)
            selfAttn(q: tq, nq: nt, k: tq, v: queries, nk: nt, into: tq2, residual: queries, ws: ws)
            queries.update(from: tq2, count: nt * d)
        }
        norm1(queries, rows: nt, into: queries)
        // Tokens attend to the image.
        addArrays(queries, queryPE, into: tq, count: nt * d)
        let kk = ws.get("dec.kk", hw * d)
        addArrays(keys, keyPE, into: kk, count: hw * d)
        crossAttnTokenToImage(q: tq, nq: nt, k: kk, v: keys, nk: hw, into: tq2, residual: queries, ws: ws)
        norm2(tq2, rows: nt, into: queries)
        // MLP on the tokens.
        let hid = ws.get("dec.mlp", nt * mlpLin1.outFeatures)
        mlpLin1(queries, rows: nt, into: hid, act: .relu)
        mlpLin2(hid, rows: nt, into: tq2, residual: queries)
        norm3(tq2, rows: nt, into: queries)
        // The image attends to the tokens.
        addArrays(queries, queryPE, into: tq, count: nt * d)
        let nk = ws.get("dec.newkeys", hw * d)
        crossAttnImageToToken(q: kk, nq: hw, k: tq, v: queries, nk: nt, into: nk, residual: keys, ws: ws)
        norm4(nk, rows: hw, into: keys)
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
                                                 heads: c.decoderHeads, downsampleRate: c.attentionDownsampleRate)
        normFinalAttn = try LayerNorm(l, p + ".norm_final_attn", dim: c.promptEmbedDim, eps: c.layerNormEps)
    }

    /// tokens [nt][C] (= query PE), keys [hw][C] (image + dense prompt), keyPE [hw][C].
    /// On return queries [nt][C] and keys [hw][C] hold the outputs.
    func callAsFunction(tokens: CFPtr, queries: FPtr, nt: Int, keys: FPtr, hw: Int, keyPE: CFPtr, ws: Workspace) {
        let d = normFinalAttn.dim
        queries.update(from: tokens, count: nt * d)
        for layer in layers {
            layer(queries: queries, nt: nt, keys: keys, hw: hw, queryPE: tokens, keyPE: keyPE, ws: ws)
        }
        let tq = ws.get("dec.tq", nt * d), tq2 = ws.get("dec.tq2", nt * d)
        addArrays(queries, tokens, into: tq, count: nt * d)
        let kk = ws.get("dec.kk", hw * d)
        addArrays(keys, keyPE, into: kk, count: hw * d)
        finalAttnTokenToImage(q: tq, nq: nt, k: kk, v: keys, nk: hw, into: tq2, residual: queries, ws: ws)
        normFinalAttn(tq2, rows: nt, into: queries)
    }
}
