import Foundation
import XCTest
import VoxSAMTestSupport

/// Runs the independent readers of the interoperability tests: Python scripts in Tests/Interop
/// (pydicom, highdicom, nibabel, SimpleITK, pynrrd, slicerio) and dicom3tools' dciodvfy.
/// Missing tools skip with the reason locally; with CI=true (the CI run installs them through
/// scripts/setup.sh) a missing tool fails the test.
enum Interop {
    static let scriptsFolder = TestData.repoRoot.appendingPathComponent("Tests/Interop")

    struct Output { var status: Int32; var text: String }

    /// Runs an executable found on PATH; nil when it is not installed.
    static func run(_ tool: String, _ arguments: [String]) throws -> Output? {
        guard let exe = which(tool) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, text: String(decoding: data, as: UTF8.self))
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Skips (or fails under CI) unless python3 can import every module.
    static func requirePython(_ modules: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let out = try run("python3", ["-c", "import " + modules.joined(separator: ", ")])
        guard let out, out.status == 0 else {
            try unavailable("python3 with \(modules.joined(separator: ", ")) (pip install them; scripts/setup.sh does)", file: file, line: line)
            return
        }
    }

    /// Runs Tests/Interop/<script> with python3 and fails the test with the script's output unless it exits 0.
    @discardableResult
    static func python(_ script: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = scriptsFolder.appendingPathComponent(script).path
        guard let out = try run("python3", [path] + arguments) else {
            try unavailable("python3", file: file, line: line)
            return ""
        }
        XCTAssertEqual(out.status, 0, "\(script) \(arguments.joined(separator: " ")):\n\(out.text)", file: file, line: line)
        return out.text
    }

    /// dciodvfy's error lines for a DICOM file (empty = valid); skips/fails when dicom3tools is absent.
    static func dciodvfyErrors(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        guard let out = try run("dciodvfy", [path]) else {
            try unavailable("dciodvfy (Debian package dicom3tools)", file: file, line: line)
            return []
        }
        return out.text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("Error") }
    }

    private static func unavailable(_ what: String, file: StaticString, line: UInt) throws {
        let reason = "\(what) is not available"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("\(reason); CI must run the interoperability tests", file: file, line: line)
            throw XCTSkip(reason)
        }
        print("skipped: \(reason)")
        throw XCTSkip(reason)
    }
}
