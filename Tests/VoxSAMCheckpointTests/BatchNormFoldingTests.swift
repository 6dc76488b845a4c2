import XCTest
import VoxSAMCheckpoint

final class BatchNormFoldingTests: XCTestCase {
    /// Folded conv + bias must equal conv followed by inference-mode BatchNorm.
    func testFoldMatchesConvThenBatchNorm() {
        let shape = [2, 3]  // 2 output channels, 3 inputs (a 1×1 convolution)
        let w: [Float] = [0.5, -1, 2, 1.5, 0.25, -0.75]
        let gamma: [Float] = [1.2, 0.8], beta: [Float] = [0.1, -0.2]
        let mean: [Float] = [0.3, -0.4], variance: [Float] = [0.5, 2.0]
        let convBias: [Float] = [0.05, -0.1]
        let x: [Float] = [1, 2, 3]
        let folded = foldBatchNorm(convWeight: w, shape: shape, bnWeight: gamma, bnBias: beta,
                                   runningMean: mean, runningVar: variance, eps: 1e-5, convBias: convBias)
        for o in 0..<2 {
            var conv = convBias[o], fused = folded.bias[o]
            for i in 0..<3 {
                conv += w[o * 3 + i] * x[i]
                fused += folded.weight[o * 3 + i] * x[i]
            }
            let bn = (conv - mean[o]) / (variance[o] + 1e-5).squareRoot() * gamma[o] + beta[o]
            XCTAssertEqual(fused, bn, accuracy: 1e-5)
        }
        let noBias = foldBatchNorm(convWeight: w, shape: shape, bnWeight: gamma, bnBias: beta,
                                   runningMean: mean, runningVar: variance)
        XCTAssertEqual(noBias.bias[0], (0 - 0.3) / (0.5 + 1e-5).squareRoot() * 1.2 + 0.1, accuracy: 1e-6)
    }
}
