import ArgumentParser
import Foundation
import VoxSAMCheckpoint
import VoxSAMCore
import VoxSAMModel

/// `--model` shared by every command that runs the network.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Path of lite_medsam.pth (default: $VOXSAM_MODEL_DIR or ~/.cache/voxsam/models; install with `voxsam model fetch`).")
    var model: String?

    @Option(name: .long, help: "Threads for the model (default: $VOXSAM_THREADS, else every core).")
    var threads: Int?

    /// Decides the thread count (once), then resolves and loads LiteMedSAM with it; errors say
    /// which command fixes them.
    func load() throws -> (LiteMedSAM, path: String) {
        let n = try OpenBLASRuntime.threadCount(option: threads)
        let path = try ModelStore.resolve(modelOption: model)
        return (try LiteMedSAM(checkpointPath: path, threads: n), path)
    }
}
