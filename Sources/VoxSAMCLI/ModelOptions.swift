import ArgumentParser
import Foundation
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMModel
import VoxSAMSegment

/// `--model` shared by every command that runs the network.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Path of lite_medsam.pth (default: $VOXSAM_MODEL_DIR or ~/.cache/voxsam/models; install with `voxsam model fetch`).")
    var model: String?

    @Option(name: .long, help: "Threads for the model (default: $VOXSAM_THREADS, else every core).")
    var threads: Int?

    @Option(name: .long, help: "Encoder arithmetic: fp32 (default; the reference), int8 (AVX-512 VNNI, ~0.6x the encoder time; masks differ from fp32: per-object Dice 0.74-1.0 on the reference cases), auto (the fastest that keeps fp32's masks: fp32 for now), bf16 (not implemented). Default: the protocol's, else fp32.")
    var precision: String?

    /// `--precision`, parsed (nil when not given).
    func requestedPrecision() throws -> Precision? {
        guard let p = precision else { return nil }
        do { return try Precision.parse(p) } catch let e as VoxSAMError { throw VoxSAMError(e.code, "--precision: " + e.message) }
    }

    /// Decides the thread count (once), then resolves and loads LiteMedSAM with it; errors say
    /// which command fixes them.
    func load(precision: Precision) throws -> (LiteMedSAM, path: String) {
        let n = try OpenBLASRuntime.threadCount(option: threads)
        let path = try ModelStore.resolve(modelOption: model)
        return (try LiteMedSAM(checkpointPath: path, threads: n, precision: precision), path)
    }

    /// `load`, behind the propagation interface: the checkpoint's hash is the one `ModelStore` verified
    /// (the embedding cache's identity), `name` the file name reports record.
    func sliceModel(precision: Precision) throws -> (model: LiteMedSAMSliceModel, name: String, path: String) {
        let (model, path) = try load(precision: precision)
        return (LiteMedSAMSliceModel(model: model, checkpointSHA256: try ModelStore().sha256(ofFile: path)),
                URL(fileURLWithPath: path).lastPathComponent, path)
    }
}
