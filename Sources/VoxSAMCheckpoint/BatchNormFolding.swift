/// Folds an inference-mode BatchNorm that follows a convolution (or linear layer) into the
/// convolution's weight and bias:
///
///     scale[o]  = bnWeight[o] / sqrt(runningVar[o] + eps)
///     weight'   = convWeight[o, ...] * scale[o]
///     bias'[o]  = (convBias[o] - runningMean[o]) * scale[o] + bnBias[o]
///
/// - Parameters:
///   - convWeight: the convolution weight in C order; `shape[0]` is the number of output channels.
///   - shape: the weight's shape (e.g. `[out, in/groups, kh, kw]`).
///   - bnWeight, bnBias, runningMean, runningVar: the BatchNorm parameters, `shape[0]` values each.
///   - eps: the BatchNorm epsilon (PyTorch's default 1e-5).
///   - convBias: the convolution's own bias, if it has one (`shape[0]` values).
/// - Returns: the folded weight (same shape as `convWeight`) and a bias of `shape[0]` values.
///   The scale is computed in Double and rounded once.
public func foldBatchNorm(convWeight: [Float], shape: [Int], bnWeight: [Float], bnBias: [Float],
                          runningMean: [Float], runningVar: [Float], eps: Float = 1e-5,
                          convBias: [Float]? = nil) -> (weight: [Float], bias: [Float]) {
    precondition(!shape.isEmpty && convWeight.count == shape.reduce(1, *), "foldBatchNorm: weight does not fill shape \(shape)")
    let channels = shape[0]
    precondition(bnWeight.count == channels && bnBias.count == channels && runningMean.count == channels
                 && runningVar.count == channels && (convBias?.count ?? channels) == channels,
                 "foldBatchNorm: BatchNorm parameters need \(channels) values each")
    let perChannel = channels == 0 ? 0 : convWeight.count / channels
    var weight = convWeight
    var bias = [Float](repeating: 0, count: channels)
    weight.withUnsafeMutableBufferPointer { w in
        for o in 0..<channels {
            let scale = Double(bnWeight[o]) / (Double(runningVar[o]) + Double(eps)).squareRoot()
            let base = o * perChannel
            for i in 0..<perChannel {
                w[base + i] = Float(Double(w[base + i]) * scale)
            }
            let b0 = Double(convBias?[o] ?? 0)
            bias[o] = Float((b0 - Double(runningMean[o])) * scale + Double(bnBias[o]))
        }
    }
    return (weight, bias)
}
