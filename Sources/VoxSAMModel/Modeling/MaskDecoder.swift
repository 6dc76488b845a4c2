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

    /// Upscales x [h*w][cin]: the four taps of every input pixel, g [h*w][2][2][cout] (one GEMM per
    /// block of input rows, split over the threads), then `epilogue(g, y0, y1)` on each finished
    /// block of input rows [y0, y1) (which scatters g to the 2x grid, decoder_upscaling.c).
    func callAsFunction(_ x: CFPtr, h: Int, w: Int, ws: Workspace, epilogue: (FPtr, Int, Int) -> Void) {
        let g = ws.get("dec.convT", h * w * 4 * cout), n = 4 * cout
        ws.par.split(h, parts: ws.par.parts) { y0, y1 in
            vk_gemm_xw(x + y0 * w * cin, Int32(cin), weight.p, Int32(n), g + y0 * w * n, Int32(n), Int32((y1 - y0) * w),
                       Int32(n), Int32(cin), 0)
            epilogue(g, y0, y1)
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

    /// keys: image embedding + dense prompt [e*e][C], keysPE: keys + keyPE [e*e][C] (both read only);
    /// keyPE [e*e][C]; sparse [ns][C].
    /// Returns the logits of the requested masks [k][(4e)*(4e)] and the IoU predictions of all masks.
    func predictMasks(keys keysIn: CFPtr, keysPE keysPEIn: CFPtr, e: Int, keyPE: CFPtr, sparse: [Float],
                      maskIndices: [Int], ws: Workspace) -> (masks: [Float], iou: [Float]) {
        let d = transformerDim, hw = e * e
        let ns = sparse.count / d, nt = 1 + numMaskTokens + ns
        let tokens = ws.get("dec.tokens", nt * d)
        let all = iouToken + maskTokens + sparse
        tokens.update(from: all, count: nt * d)
        let queries = ws.get("dec.queries", nt * d)
        let keys = Profiling.measure("d:transformer") {
            transformer(tokens: tokens, queries: queries, nt: nt, keysIn: keysIn, keysPEIn: keysPEIn,
                        keys: ws.get("dec.keys", hw * d), keysPE: ws.get("dec.kk", hw * d), hw: hw, keyPE: keyPE, ws: ws)
        }
        // Hypernetwork weights per requested mask token [k][C/8].
        let c4 = d / 4, c8 = d / 8
        var hyper = [Float]()
        for i in maskIndices {
            hyper += outputHypernetworksMLPs[i](Array(UnsafeBufferPointer(start: queries + (1 + i) * d, count: d)))
        }
        // Upscale the image tokens: [e*e][C] -> ConvT -> [(2e)^2][C/4] -> LN2d, GELU -> ConvT ->
        // [(4e)^2][C/8], GELU -> masks = hyper . upscaled per pixel (the last three fused).
        let up1 = ws.get("dec.up1", 4 * hw * c4)
        Profiling.measure("d:convT1") {
            let bias = outputUpscaling0.bias.p, n = outputUpscaling1
            outputUpscaling0(keys, h: e, w: e, ws: ws) { g, y0, y1 in
                vk_convT2x2_ln_gelu(g, Int32(e), Int32(e), Int32(c4), bias, n.weight.p, n.bias.p, n.eps, up1, Int32(y0),
                                    Int32(y1))
            }
        }
        let npx = 16 * hw
        var masks = [Float](repeating: 0, count: maskIndices.count * npx)
        Profiling.measure("d:convT2") {
            let bias = outputUpscaling3.bias.p, k = maskIndices.count
            hyper.withUnsafeBufferPointer { hp in
                masks.withUnsafeMutableBufferPointer { mp in
                    let h = hp.baseAddress!, m = mp.baseAddress!
                    outputUpscaling3(up1, h: 2 * e, w: 2 * e, ws: ws) { g, y0, y1 in
                        vk_convT2x2_gelu_dot(g, Int32(2 * e), Int32(2 * e), Int32(c8), bias, h, Int32(k), m, Int32(y0),
                                             Int32(y1))
                    }
                }
            }
        }
        let iou = iouPredictionHead(Array(UnsafeBufferPointer(start: queries, count: d)))
        return (masks, iou)
    }
}
