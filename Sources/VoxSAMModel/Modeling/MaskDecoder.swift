import CKernels

// SAM mask decoder (`mask_decoder.*`).

/// ConvTranspose2d with kernel 2 and stride 2, channel-last. PyTorch weight [Cin][Cout][2][2] is
/// stored as [Cin][2][2][Cout] so that one GEMM gives all four taps of every input pixel.
struct ConvTranspose2x2 {
    let cin: Int, cout: Int
    let weight: FloatBuffer  // [cin][(ky*2+kx)*cout + co]
    let bias: FloatBuffer

    init(_ l: Loader, _ p: String, cin: Int, cout: Int) throws {
        self.cin = cin
        self.cout = cout
        let w = try l.take(p + ".weight", [cin, cout, 2, 2])
        var r = [Float](repeating: 0, count: w.count)
        for i in 0..<cin { for o in 0..<cout { for t in 0..<4 { r[(i * 4 + t) * cout + o] = w[(i * cout + o) * 4 + t] } } }
        weight = FloatBuffer(r)
        bias = try l.buffer(p + ".bias", [cout])
    }

    /// x [h*w][cin] -> out [(2h)*(2w)][cout]
    func callAsFunction(_ x: CFPtr, h: Int, w: Int, into out: FPtr, act: Activation, ws: Workspace) {
        let g = ws.get("dec.convT", h * w * 4 * cout)
        vk_gemm_xw(x, Int32(cin), weight.p, Int32(4 * cout), g, Int32(4 * cout), Int32(h * w), Int32(4 * cout), Int32(cin), 0)
        Parallel.chunks(h, cost: w * 4 * cout * (act == .gelu ? 20 : 1)) { lo, hi in
            vk_convT2x2_scatter(g, Int32(h), Int32(w), Int32(cout), bias.p, out, act.rawValue, Int32(lo), Int32(hi))
        }
    }
}

/// `mask_decoder`.
struct MaskDecoder {
    let transformerDim: Int
    let numMaskTokens: Int
    let transformer: TwoWayTransformer
    let iouToken: [Float]        // iou_token.weight [1][C]
    let maskTokens: [Float]      // mask_tokens.weight [numMaskTokens][C]
    let outputUpscaling0: ConvTranspose2x2   // C -> C/4
    let outputUpscaling1: LayerNorm          // LayerNorm2d(C/4)
    let outputUpscaling3: ConvTranspose2x2   // C/4 -> C/8
    let outputHypernetworksMLPs: [MLP]
    let iouPredictionHead: MLP

    init(_ l: Loader, _ p: String, c: LiteMedSAMConfiguration) throws {
        let d = c.promptEmbedDim
        transformerDim = d
        numMaskTokens = c.numMaskTokens
        transformer = try TwoWayTransformer(l, p + ".transformer", c: c)
        iouToken = try l.take(p + ".iou_token.weight", [1, d])
        maskTokens = try l.take(p + ".mask_tokens.weight", [c.numMaskTokens, d])
        outputUpscaling0 = try ConvTranspose2x2(l, p + ".output_upscaling.0", cin: d, cout: d / 4)
        outputUpscaling1 = try LayerNorm(l, p + ".output_upscaling.1", dim: d / 4, eps: c.layerNorm2dEps)
        outputUpscaling3 = try ConvTranspose2x2(l, p + ".output_upscaling.3", cin: d / 4, cout: d / 8)
        outputHypernetworksMLPs = try (0..<c.numMaskTokens).map {
            try MLP(l, "\(p).output_hypernetworks_mlps.\($0)", input: d, hidden: d, output: d / 8, numLayers: 3)
        }
        iouPredictionHead = try MLP(l, p + ".iou_prediction_head", input: d, hidden: c.iouHeadHiddenDim,
                                    output: c.numMaskTokens, numLayers: c.iouHeadDepth)
    }

    /// keys: image embedding + dense prompt [e*e][C] (overwritten); keyPE [e*e][C]; sparse [ns][C].
    /// Returns the logits of the requested masks [k][(4e)*(4e)] and the IoU predictions of all masks.
    func predictMasks(keys: FPtr, e: Int, keyPE: CFPtr, sparse: [Float], maskIndices: [Int], ws: Workspace)
        -> (masks: [Float], iou: [Float]) {
        let d = transformerDim, hw = e * e
        let ns = sparse.count / d, nt = 1 + numMaskTokens + ns
        let tokens = ws.get("dec.tokens", nt * d)
        let all = iouToken + maskTokens + sparse
        tokens.update(from: all, count: nt * d)
        let queries = ws.get("dec.queries", nt * d)
        transformer(tokens: tokens, queries: queries, nt: nt, keys: keys, hw: hw, keyPE: keyPE, ws: ws)
        // Upscale the image tokens: [e*e][C] -> [(2e)^2][C/4] -> LN2d, GELU -> [(4e)^2][C/8], GELU.
        let up1 = ws.get("dec.up1", 4 * hw * d / 4)
        outputUpscaling0(keys, h: e, w: e, into: up1, act: .none, ws: ws)
        outputUpscaling1(up1, rows: 4 * hw, into: up1)
        Parallel.chunks(4 * hw * d / 4, cost: 20) { lo, hi in vk_gelu(up1, lo, hi) }
        let up2 = ws.get("dec.up2", 16 * hw * d / 8)
        outputUpscaling3(up1, h: 2 * e, w: 2 * e, into: up2, act: .gelu, ws: ws)
        // Hypernetwork weights per requested mask token, then masks = hyper @ upscaled^T.
        let c8 = d / 8
        var hyper = [Float]()
        for i in maskIndices {
            let tok = Array(UnsafeBufferPointer(start: queries + (1 + i) * d, count: d))
            hyper += outputHypernetworksMLPs[i](tok)
        }
        let npx = 16 * hw
        var masks = [Float](repeating: 0, count: maskIndices.count * npx)
        hyper.withUnsafeBufferPointer { hp in
            masks.withUnsafeMutableBufferPointer { mp in
                vk_gemm_xwt(hp.baseAddress!, Int32(c8), up2, Int32(c8), mp.baseAddress!, Int32(npx),
                            Int32(maskIndices.count), Int32(npx), Int32(c8), 0)
            }
        }
        let iou = iouPredictionHead(Array(UnsafeBufferPointer(start: queries, count: d)))
        return (masks, iou)
    }
}
