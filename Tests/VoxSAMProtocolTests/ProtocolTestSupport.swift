import Foundation
import XCTest
import VoxSAMCore
@testable import VoxSAMProtocol

enum ProtocolTestSupport {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let protocolsDir = repoRoot.appendingPathComponent("Protocols").path
    /// The path protocol texts are parsed under in the error tests.
    static let testPath = "Protocols/test.yaml"

    /// A minimal valid protocol; tests replace parts of it.
    static let valid = """
        name: test
        modality: CT
        structures:
          - name: liver
            label: 1
          - name: spleen
            label: 2
        """

    /// Asserts that parsing `yaml` fails with `FILE:LINE: FIELD: …` naming exactly this line and
    /// field, and that the message mentions every fragment.
    static func assertError(_ yaml: String, line: Int, field: String, mentioning fragments: String...,
                            file: StaticString = #filePath, testLine: UInt = #line) {
        do {
            let p = try SegmentationProtocol.parse(yaml, path: testPath)
            XCTFail("expected an error, parsed \(p.name)", file: file, line: testLine)
        } catch let e as VoxSAMError {
            let text = e.description
            XCTAssertEqual(e.code, .invalidArgument, text, file: file, line: testLine)
            XCTAssertEqual(e.path, "\(testPath):\(line)", text, file: file, line: testLine)
            let prefix = field.isEmpty ? "\(testPath):\(line): " : "\(testPath):\(line): \(field): "
            XCTAssertTrue(text.hasPrefix(prefix), "`\(text)` does not start with `\(prefix)`", file: file, line: testLine)
            for f in fragments {
                XCTAssertTrue(text.lowercased().contains(f.lowercased()), "`\(text)` does not mention `\(f)`", file: file, line: testLine)
            }
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: testLine)
        }
    }

    /// The `voxsam` executable built next to the test bundle, or XCTSkip with the reason.
    static func voxsamExecutable() throws -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("voxsam")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let reason = "skipped: the voxsam executable is not built next to the test bundle (run `swift build` first)"
        print(reason)
        throw XCTSkip(reason)
    }

    /// Runs voxsam with `arguments`; (exit status, stdout, stderr).
    static func run(_ exe: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
