import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
@testable import VoxSAMModel
@testable import VoxSAMSegment

/// The int8 encoder on the five reference 3D cases: Dice of each object's int8 segmentation against
/// the fp32 one (same propagation, same decoder).
///
/// The target is Dice >= 0.99 for every object; int8 does not meet it (worst measured 0.74 with the
/// default layers, 0.66 with every encoder GEMM in int8, 0.87 with only qkv in int8), which is why
/// `Precision.auto` stays fp32. The test therefore runs on request (VOXSAM_INT8_DICE=1, ~2-4 min:
/// both precisions on 5 cases) and by default guards against regressions only: each object >= 0.70
/// and the mean >= 0.94 (measured 0.736 and 0.961); VOXSAM_INT8_DICE_TARGET=1 asserts the 0.99
/// target instead.
///
/// Why int8 misses it (measured 2026-12, fake-quantized layers, MR_brain1 / CT_TSdicom L6 /
/// MR_TSsmall L6): the propagated masks react to the encoder's systematic errors far more than to
/// noise. Seeded white noise of 10 % relative L2 on every embedding keeps them at 0.966 / 0.985 /
/// -, while qkv alone in int8 (1.5 % embedding error) gives 0.884 / 0.875 / 0.869; of that, the
/// int8 weights alone (fp32 activations) give 0.883 / 0.884 / 0.868 and the int8 activations alone
/// (fp32 weights) 0.997 / 0.944 / 0.998. With the default layers and exact weights, int8
/// activations alone still give 0.884 / 0.985 / 0.856. So neither 16-bit weights nor 16-bit
/// activations alone would reach 0.99.
final class Int8DiceTests: XCTestCase {

    /// `VOXSAM_INT8_LAYERS=qkv,proj,...` (names of `Int8Layers.names`) measures another layer
    /// choice; default: what `Precision.int8` runs.
    static func int8Layers() -> Int8Layers {
        guard let env = ProcessInfo.processInfo.environment["VOXSAM_INT8_LAYERS"], !env.isEmpty else {
            return LiteMedSAM.defaultInt8Layers
        }
        return Int8Layers(names: env)
    }

    /// Runs in every test run: int8 on the 5 cases against the reference segmentations, which the fp32
    /// path reproduces exactly (ParityTests); VOXSAM_INT8_DICE=1 also runs fp32 here and compares with it.
    func testInt8DiceAgainstFP32OnReferenceCases() throws {
        let env = ProcessInfo.processInfo.environment
        let runFP32 = env["VOXSAM_INT8_DICE"] == "1"
        let strict = env["VOXSAM_INT8_DICE_TARGET"] == "1"
        let fp = try SegmentTestSupport.model()
        let layers = Self.int8Layers()
        let q = try LiteMedSAM(weights: try checkpointWeightSource(path: fp.checkpointPath), path: fp.checkpointPath,
                               threads: fp.threads, int8Layers: layers)
        XCTAssertEqual(q.precision, .int8)

        var lines: [String] = ["int8 layers: \(layers.description)"]
        var worst = 1.0, all: [Double] = []
        var fpSeconds = 0.0, qSeconds = 0.0
        let only = ProcessInfo.processInfo.environment["VOXSAM_INT8_CASES"].map { $0.split(separator: ",").map(String.init) }
        for name in only ?? SegmentTestSupport.referenceCaseNames {
            let c = try SegmentTestSupport.referenceCase(name)
            let image = try NPZVolume.read(path: c.image)
            let prompts = try PromptSource.fromNPZ(path: c.image)
            let b = try Propagator(model: LiteMedSAMSliceModel(model: q)).run(image8: image, prompts: prompts)
            let reference = try NPZVolume.read(path: c.referenceSegs, array: "segs")
            let a = runFP32 ? try Propagator(model: LiteMedSAMSliceModel(model: fp)).run(image8: image, prompts: prompts)
                : SegmentationResult(labelMap: reference, objects: [], axis: .k, encoderCalls: 0, cacheHits: nil, uniqueSlices: 0,
                                     lowConfidenceThreshold: 0, mode: .reference, seconds: 0)
            fpSeconds += a.seconds
            qSeconds += b.seconds
            var line = "\(name) (fp32 \(String(format: "%.1f", a.seconds)) s, int8 \(String(format: "%.1f", b.seconds)) s):"
            for p in prompts {
                let d = SegmentTestSupport.dice(b.labelMap, a.labelMap, label: p.label)
                let dRef = SegmentTestSupport.dice(b.labelMap, reference, label: p.label)
                worst = min(worst, d)
                all.append(d)
                line += String(format: " L%d %.4f (vs PyTorch %.4f)", p.label, d, dRef)
                XCTAssertGreaterThanOrEqual(d, strict ? 0.99 : 0.70, "\(name) label \(p.label): Dice int8 vs fp32")
            }
            lines.append(line)
        }
        let mean = all.reduce(0, +) / Double(max(1, all.count))
        let below = all.filter { $0 < 0.99 }.count
        lines.append(String(format: "worst Dice %.4f, mean %.4f, %d of %d objects below 0.99; segmentation time fp32 %.1f s, int8 %.1f s",
                            worst, mean, below, all.count, fpSeconds, qSeconds))
        if !strict { XCTAssertGreaterThanOrEqual(mean, 0.94, "mean Dice int8 vs fp32") }
        print("int8 Dice vs fp32:\n  " + lines.joined(separator: "\n  "))
    }

    /// How much embedding error the 3D Dice criterion tolerates at all: the fp32 model with seeded
    /// noise of relative L2 size `eps` added to every embedding, Dice against the clean run. Prints
    /// only; runs with VOXSAM_INT8_NOISE=1.
    func testDiceUnderEmbeddingNoise() throws {
        guard ProcessInfo.processInfo.environment["VOXSAM_INT8_NOISE"] == "1" else {
            print("not run (a measurement, not a check): set VOXSAM_INT8_NOISE=1 to measure the Dice cost of embedding noise"); return
        }
        let fp = try SegmentTestSupport.model()
        var lines: [String] = []
        for name in ["3DBox_MR_brain1", "3DBox_CT_TSdicom"] {
            let c = try SegmentTestSupport.referenceCase(name)
            let image = try NPZVolume.read(path: c.image)
            let prompts = try PromptSource.fromNPZ(path: c.image)
            let clean = try Propagator(model: LiteMedSAMSliceModel(model: fp)).run(image8: image, prompts: prompts)
            for eps in [0.003, 0.01, 0.03, 0.1] {
                let noisy = try Propagator(model: NoisyEmbeddingModel(LiteMedSAMSliceModel(model: fp), eps: Float(eps)))
                    .run(image8: image, prompts: prompts)
                var line = String(format: "%@ relative noise %.3f:", name as NSString, eps)
                for p in prompts { line += String(format: " L%d %.4f", p.label, SegmentTestSupport.dice(noisy.labelMap, clean.labelMap, label: p.label)) }
                lines.append(line)
            }
        }
        print("Dice under embedding noise:\n  " + lines.joined(separator: "\n  "))
    }
}

/// LiteMedSAM with seeded Gaussian noise of relative L2 size `eps` added to each embedding.
final class NoisyEmbeddingModel: SliceSegmentationModel {
    let base: LiteMedSAMSliceModel
    let eps: Float
    var state: UInt64 = 42

    init(_ base: LiteMedSAMSliceModel, eps: Float) {
        self.base = base
        self.eps = eps
    }

    func gauss() -> Float {
        func u() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        return Float((-2 * log(u())).squareRoot() * cos(2 * Double.pi * u()))
    }

    func embed(_ slice: [UInt8], height: Int, width: Int) -> ImageEmbedding {
        let e = base.embed(slice, height: height, width: width)
        var v = e.nchw
        let rms = (v.reduce(0) { $0 + Double($1) * Double($1) } / Double(v.count)).squareRoot()
        for i in v.indices { v[i] += Float(rms) * eps * gauss() }
        return ImageEmbedding(nchw: v, channels: e.channels, size: e.size, newHeight: e.newHeight, newWidth: e.newWidth,
                              height: e.height, width: e.width)
    }

    func predict(_ e: ImageEmbedding, box: SIMD4<Float>) -> (logits: [Float], iou: Float) { base.predict(e, box: box) }
    func modelBox(fromPixels box: SIMD4<Int>, height: Int, width: Int) -> SIMD4<Float> {
        base.modelBox(fromPixels: box, height: height, width: width)
    }
    func modelBox(fromMask mask: [UInt8], height: Int, width: Int) -> SIMD4<Float>? {
        base.modelBox(fromMask: mask, height: height, width: width)
    }
    var logitThreshold: Float { base.logitThreshold }
    func pixelBox(fromModelBox box: SIMD4<Float>, height: Int, width: Int) -> SIMD4<Double> {
        base.pixelBox(fromModelBox: box, height: height, width: width)
    }
}
