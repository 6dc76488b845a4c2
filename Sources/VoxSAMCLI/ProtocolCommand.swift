import ArgumentParser
import Foundation
import VoxSAMCore
import VoxSAMProtocol

/// `voxsam protocol`: check and list segmentation protocols (YAML).
struct ProtocolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocol",
        abstract: "Check and list segmentation protocols (structures, labels, colours, SNOMED CT codes, window, outputs).",
        discussion: """
            Shipped protocols live in the repository's Protocols/ folder, found as: $VOXSAM_PROTOCOLS_DIR; \
            Protocols/ next to the voxsam executable or in a parent folder of it; Protocols/ in the \
            current folder or a parent. See Protocols/README.md for the fields.

            Examples:
              voxsam protocol list
              voxsam protocol check my-protocol.yaml
            """,
        subcommands: [Check.self, List.self]
    )
}

extension ProtocolCommand {
    /// `voxsam protocol check FILE [--json]`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a protocol; errors name the file, line and field (exit 2).",
            discussion: "FILE may also be the name of a shipped protocol (e.g. ct-abdomen). Prints a summary, or JSON with --json."
        )

        @Argument(help: "The protocol (.yaml) or the name of a shipped one.")
        var file: String

        @Flag(name: .long, help: "Print the resolved protocol as JSON (structures with codes and colours).")
        var json = false

        func run() throws {
            let p = try ProtocolLibrary.resolve(file)
            if json {
                print(try JSONOutput.string(ProtocolSummary(p)))
                return
            }
            print("\(p.path ?? file): ok — \(p.name) (\(p.modality.rawValue), window \(p.window), propagation \(p.propagation.mode.rawValue), outputs \(p.outputs.map(\.rawValue).joined(separator: ", ")))")
            for s in p.structures {
                let mod = s.typeModifier.map { " + \($0.meaning)" } ?? ""
                let region = s.anatomicRegion.map { " in \($0.meaning)" } ?? ""
                print("  \(s.label)\t\(s.name)\trgb(\(s.color.r),\(s.color.g),\(s.color.b))\t\(s.category.meaning) / \(s.type.scheme) \(s.type.value) \(s.type.meaning)\(mod)\(region)")
            }
        }
    }

    /// `voxsam protocol list [--json]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the shipped protocols (exit 2 if one of them is invalid)."
        )

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            guard let dir = ProtocolLibrary.directory() else {
                throw VoxSAMError(.notFound, "no Protocols/ folder found next to the executable or in the current folder; set VOXSAM_PROTOCOLS_DIR")
            }
            let items = ProtocolLibrary.items(in: dir)
            if json {
                struct Entry: Encodable { var path: String; var ok: Bool; var error: String?; var `protocol`: ProtocolSummary? }
                let entries = items.map { i -> Entry in
                    switch i.result {
                    case .success(let p): Entry(path: i.path, ok: true, error: nil, protocol: ProtocolSummary(p))
                    case .failure(let e): Entry(path: i.path, ok: false, error: e.description, protocol: nil)
                    }
                }
                print(try JSONOutput.string(entries))
            } else {
                print("protocols in \(dir):")
                for i in items {
                    switch i.result {
                    case .success(let p):
                        print("  \(p.name)\t\(p.modality.rawValue)\t\(p.structures.count) structures: \(p.structures.map(\.name).joined(separator: ", "))")
                    case .failure(let e):
                        print("  \(URL(fileURLWithPath: i.path).lastPathComponent)\tINVALID: \(e)")
                    }
                }
            }
            if let bad = items.first(where: { if case .failure = $0.result { true } else { false } }), case .failure(let e) = bad.result {
                throw e
            }
        }
    }
}

/// The JSON form of a protocol (`voxsam protocol check --json`).
struct ProtocolSummary: Encodable {
    var name: String
    var description: String
    var modality: String
    var window: String
    var seriesDescription: String?
    var propagation: ProtocolPropagation
    var outputs: [String]
    var structures: [SegmentDescription]
    var sha256: String
    var path: String?

    init(_ p: SegmentationProtocol) {
        name = p.name; description = p.description; modality = p.modality.rawValue; window = p.window.text
        seriesDescription = p.seriesDescription; propagation = p.propagation; outputs = p.outputs.map(\.rawValue)
        structures = p.structures; sha256 = p.sha256; path = p.path
    }

    enum CodingKeys: String, CodingKey {
        case name, description, modality, window, seriesDescription = "series_description", propagation, outputs, structures, sha256, path
    }
}
