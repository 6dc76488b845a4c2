import ArgumentParser

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("voxsam model is not implemented yet") }
}
