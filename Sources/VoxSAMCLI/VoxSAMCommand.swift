import ArgumentParser
import VoxSAMCore

/// The `voxsam` root command: it only routes to one subcommand per file.
public struct VoxSAMCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "voxsam",
        abstract: "Box-prompted 3D segmentation of CT and MR scans with LiteMedSAM (native, CPU).",
        version: VoxSAMVersion.string,
        subcommands: [
            InfoCommand.self,
            ConvertCommand.self,
            ModelCommand.self,
            PredictCommand.self,
            SegmentCommand.self,
            RefineCommand.self,
            EvalCommand.self,
            ExportCommand.self,
            ProtocolCommand.self,
            BatchCommand.self,
            ServeCommand.self,
        ]
    )
    public init() {}

    /// The subcommands that run the network (they take `ModelOptions`).
    static let modelCommands: [ParsableCommand.Type] = [PredictCommand.self, SegmentCommand.self, RefineCommand.self, BatchCommand.self, ServeCommand.self]

    /// Whether `arguments` (argv) name a subcommand that runs the network: only those need OpenBLAS's
    /// kernels chosen for this CPU (`OpenBLASRuntime.ensureCoreTypeOrReexec`, a second process start);
    /// `convert`, `info`, `export`… never call OpenBLAS.
    public static func runsModel(_ arguments: [String]) -> Bool {
        guard let sub = arguments.dropFirst().first(where: { !$0.hasPrefix("-") }) else { return false }
        return modelCommands.contains { $0.configuration.commandName == sub }
    }
}
