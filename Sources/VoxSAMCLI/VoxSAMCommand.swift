import ArgumentParser

/// The `voxsam` root command: it only routes to one subcommand per file.
public struct VoxSAMCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "voxsam",
        abstract: "Box-prompted 3D segmentation of CT and MR scans with LiteMedSAM (native, CPU).",
        subcommands: [
            InfoCommand.self,
            ConvertCommand.self,
            ModelCommand.self,
            PredictCommand.self,
            SegmentCommand.self,
            EvalCommand.self,
            ExportCommand.self,
            ProtocolCommand.self,
            BatchCommand.self,
        ]
    )
    public init() {}
}
