import ArgumentParser

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "convert", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("voxsam convert is not implemented yet") }
}
