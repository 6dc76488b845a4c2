import Foundation

// SAM prompt encoder, box prompts only (`prompt_encoder.*`). Point and mask-input parameters are
// loaded (strictly) and kept for future prompt types, but unused.

/// `prompt_encoder.pe_layer`: random Fourier features of normalised coordinates.
struct PositionEmbeddingRandom {
    let numPosFeats: Int
    let gaussian: [Float]  // positional_encoding_gaussian_matrix [2][numPosFeats]

    init(_ l: Loader, _ p: String, numPosFeats: Int) throws {
        self.numPosFeats = numPosFeats
        gaussian = try l.take(p + ".positional_encoding_gaussian_matrix", [2, numPosFeats])
    }

    /// [sin(2 pi (2c - 1) G), cos(...)] for a point (x, y) normalised to [0, 1]; writes 2*F floats.
    func encode(x: Float, y: Float, into out: UnsafeMutablePointer<Float>) {
        let cx = 2 * x - 1, cy = 2 * y - 1
        let twoPi = Float(2 * Double.pi)
        let f = numPosFeats
        for k in 0..<f {
            // coords @ G as a GEMM computes it: x * G0 first, then y * G1 fused in.
            let v = twoPi * (cx * gaussian[k]).addingProduct(cy, gaussian[f + k])
            out[k] = sinf(v)
            out[f + k] = cosf(v)
        }
    }

    /// Dense encoding of the cell centres of an h x w grid, channel-last [h*w][2F].
    func dense(h: Int, w: Int) -> [Float] {
        var out = [Float](repeating: 0, count: h * w * 2 * numPosFeats)
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<h {
                for j in 0..<w {
                    let x = (Float(j + 1) - 0.5) / Float(w), y = (Float(i + 1) - 0.5) / Float(h)
                    encode(x: x, y: y, into: o.baseAddress! + (i * w + j) * 2 * numPosFeats)
                }
            }
        }
        return out
    }
}

/// `prompt_encoder`.
struct PromptEncoder {
    let embedDim: Int
    let inputImageSize: Int
    let embeddingSize: Int
    let peLayer: PositionEmbeddingRandom
    let pointEmbeddings: [[Float]]   // point_embeddings.0..3.weight [1][D]: neg, pos, box corner 1, 2
    let notAPointEmbed: [Float]
    let noMaskEmbed: [Float]         // no_mask_embed.weight [1][D]
    let maskDownscaling: [String: [Float]]

    init(_ l: Loader, _ p: String, c: LiteMedSAMConfiguration) throws {
        let d = c.promptEmbedDim
        embedDim = d
        inputImageSize = c.imageSize
        embeddingSize = c.embeddingSize
        peLayer = try PositionEmbeddingRandom(l, p + ".pe_layer", numPosFeats: d / 2)
        pointEmbeddings = try (0..<4).map { try l.take("\(p).point_embeddings.\($0).weight", [1, d]) }
        notAPointEmbed = try l.take(p + ".not_a_point_embed.weight", [1, d])
        let m = c.maskInChannels
        var md: [String: [Float]] = [:]
        for (k, s) in [("0.weight", [m / 4, 1, 2, 2]), ("0.bias", [m / 4]), ("1.weight", [m / 4]), ("1.bias", [m / 4]),
                       ("3.weight", [m, m / 4, 2, 2]), ("3.bias", [m]), ("4.weight", [m]), ("4.bias", [m]),
                       ("6.weight", [d, m, 1, 1]), ("6.bias", [d])] {
            md[k] = try l.take("\(p).mask_downscaling.\(k)", s)
        }
        maskDownscaling = md
        noMaskEmbed = try l.take(p + ".no_mask_embed.weight", [1, d])
    }

    /// Sparse embeddings of one box [x0, y0, x1, y1] (input-image pixels): [2][D].
    func embedBox(_ box: SIMD4<Float>) -> [Float] {
        let d = embedDim
        var out = [Float](repeating: 0, count: 2 * d)
        let s = Float(inputImageSize)
        out.withUnsafeMutableBufferPointer { o in
            for corner in 0..<2 {
                let x = (box[2 * corner] + 0.5) / s, y = (box[2 * corner + 1] + 0.5) / s
                let dst = o.baseAddress! + corner * d
                peLayer.encode(x: x, y: y, into: dst)
                let e = pointEmbeddings[2 + corner]
                for k in 0..<d { dst[k] += e[k] }
            }
        }
        return out
    }

    /// get_dense_pe(): [E*E][D] channel-last.
    func densePE() -> [Float] { peLayer.dense(h: embeddingSize, w: embeddingSize) }
}
