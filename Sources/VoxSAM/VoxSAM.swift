// The embeddable VoxSAM library: `import VoxSAM` gives the segmentation job and the types its API
// uses (volumes and geometry, prompts, settings, output plans, reports). See the README's
// "Library" section for an example.
@_exported import VoxSAMCore
@_exported import VoxSAMIO
@_exported import VoxSAMJob
@_exported import VoxSAMProtocol
@_exported import VoxSAMSegment
import Foundation
import VoxSAMCheckpoint
import VoxSAMModel

/// Entry points that need no knowledge of the model's internals.
public enum VoxSAM {
    /// The LiteMedSAM checkpoint: `path`, else `$VOXSAM_MODEL_DIR` or `~/.cache/voxsam/models`
    /// (`voxsam model fetch` installs it), loaded and checked against the architecture.
    /// `threads`: the model's thread count (default `$VOXSAM_THREADS`, else every core).
    /// `precision`: the encoder arithmetic (`fp32` default; see `Precision`).
    public static func loadModel(path: String? = nil, threads: Int? = nil, precision: Precision = .fp32) throws -> (model: LiteMedSAMSliceModel, path: String) {
        let n = try OpenBLASRuntime.threadCount(option: threads)
        let p = try ModelStore.resolve(modelOption: path)
        return (LiteMedSAMSliceModel(model: try LiteMedSAM(checkpointPath: p, threads: n, precision: precision),
                                     checkpointSHA256: try ModelStore().sha256(ofFile: p)), p)
    }

    /// A job with the LiteMedSAM checkpoint loaded once (reuse it for many volumes).
    public static func job(settings: JobSettings = JobSettings(), protocol proto: SegmentationProtocol? = nil,
                           modelPath: String? = nil) throws -> SegmentationJob<LiteMedSAMSliceModel> {
        let (model, p) = try loadModel(path: modelPath, precision: settings.precision)
        return SegmentationJob(model: model, settings: settings, protocol: proto,
                               modelName: (p as NSString).lastPathComponent)
    }
}
