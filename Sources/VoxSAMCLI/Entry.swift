import ArgumentParser
import Foundation
import VoxSAMCore

extension VoxSAMCommand {
    /// Runs the command line: VoxSAM errors become one line `voxsam: error: <file>: <problem>` and
    /// a non-zero exit code (2 bad input/arguments, 3 write failures, 4 model problems, 1 otherwise).
    public static func runMain(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch let e as VoxSAMError {
            FileHandle.standardError.write(Data("voxsam: error: \(e)\n".utf8))
            switch e.code {
            case .invalidArgument, .notFound, .unsupportedFormat, .corruptFile, .unsupportedData, .geometry: Foundation.exit(2)
            case .writeFailed: Foundation.exit(3)
            case .model: Foundation.exit(4)
            case .internal: Foundation.exit(1)
            }
        } catch {
            exit(withError: error)
        }
    }
}
