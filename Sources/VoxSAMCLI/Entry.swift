import ArgumentParser
import Foundation
import VoxSAMCore

extension VoxSAMCommand {
    /// Runs the command line: VoxSAM errors become one line `voxsam: error: <file>: <problem>` and
    /// a non-zero exit code (see `exitCode(for:)`).
    public static func runMain(_ arguments: [String]? = nil) -> Never {
        runReportingErrors(Self.self, program: "voxsam") {
            var command = try parseAsRoot(arguments)
            try command.run()
        }
    }

    /// Runs `body` for the executable `program` (`voxsam`, `voxsam-slicer`): SIGINT/SIGTERM remove
    /// unfinished outputs and exit 130/143; a VoxSAMError becomes one line `PROGRAM: error: <file>:
    /// <problem>` and `exitCode(for:)`; argument errors are `command`'s usage messages.
    static func runReportingErrors<C: ParsableCommand>(_ command: C.Type, program: String, _ body: () throws -> Void) -> Never {
        TemporaryFiles.installSignalCleanup()
        do {
            try body()
            Foundation.exit(0)
        } catch let e as VoxSAMError {
            FileHandle.standardError.write(Data("\(program): error: \(e)\n".utf8))
            Foundation.exit(exitCode(for: e))
        } catch {
            C.exit(withError: error)
        }
    }

    /// 2: bad input or arguments; 3: an output cannot be written; 4: model missing or wrong; 6: a PACS or
    /// DICOMweb peer failed (unreachable, refused, an error answer; written outputs stay); 1: internal;
    /// 130/143: interrupted by SIGINT/SIGTERM (unfinished outputs removed).
    public static func exitCode(for e: VoxSAMError) -> Int32 {
        switch e.code {
        case .invalidArgument, .notFound, .unsupportedFormat, .corruptFile, .unsupportedData, .geometry: 2
        case .writeFailed: 3
        case .model: 4
        case .network: 6
        case .internal: 1
        }
    }
}
