import Foundation
import VoxSAMCore

/// The shipped protocols (the repository's top-level `Protocols/` folder).
///
/// The folder is found, in order: `$VOXSAM_PROTOCOLS_DIR`; `Protocols/` next to the executable or
/// in one of its parent folders (a build in `.build/release/voxsam` finds the repository's); then
/// `Protocols/` in the current directory or one of its parents.
public enum ProtocolLibrary {
    /// One protocol file found in the folder, loaded or with the error it gave.
    public struct Item: Sendable {
        public var path: String
        public var result: Result<SegmentationProtocol, VoxSAMError>
    }

    /// The protocols folder, or nil when none is found.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 executable: String? = Bundle.main.executablePath ?? CommandLine.arguments.first,
                                 currentDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        if let env = environment["VOXSAM_PROTOCOLS_DIR"], !env.isEmpty { return env }
        var starts: [URL] = []
        if let exe = executable {
            let url = URL(fileURLWithPath: exe, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true))
            starts.append(url.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        starts.append(URL(fileURLWithPath: currentDirectory, isDirectory: true))
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("Protocols")
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue,
                   !yamlFiles(in: candidate.path).isEmpty {
                    return candidate.path
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }

    /// `*.yaml` / `*.yml` files in a folder, sorted by name.
    public static func yamlFiles(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { URL(fileURLWithPath: dir).appendingPathComponent($0).path }
    }

    /// Every protocol in `dir`, each loaded (or with its error).
    public static func items(in dir: String) -> [Item] {
        yamlFiles(in: dir).map { path in
            do { return Item(path: path, result: .success(try SegmentationProtocol.load(path: path))) } catch let e as VoxSAMError {
                return Item(path: path, result: .failure(e))
            } catch {
                return Item(path: path, result: .failure(VoxSAMError(.internal, "\(error)", path: path)))
            }
        }
    }

    /// A protocol given by path, or by name of a shipped one (`ct-abdomen` → `Protocols/ct-abdomen.yaml`).
    public static func resolve(_ nameOrPath: String) throws -> SegmentationProtocol {
        if FileManager.default.fileExists(atPath: nameOrPath) || nameOrPath.contains("/") {
            return try SegmentationProtocol.load(path: nameOrPath)
        }
        if let dir = directory() {
            for ext in ["yaml", "yml"] {
                let p = URL(fileURLWithPath: dir).appendingPathComponent("\(nameOrPath).\(ext)").path
                if FileManager.default.fileExists(atPath: p) { return try SegmentationProtocol.load(path: p) }
            }
        }
        return try SegmentationProtocol.load(path: nameOrPath)
    }
}
