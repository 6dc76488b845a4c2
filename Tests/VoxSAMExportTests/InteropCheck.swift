import Foundation
import XCTest
import VoxSAMTestSupport

/// Runs Tests/Interop/check_volume_export.py (SimpleITK, nibabel, pynrrd, slicerio) on written files.
/// Without python3 or the modules the test is skipped with the reason printed; with CI=true in the
/// environment a missing interpreter or module fails the test instead.
enum InteropCheck {
    static let script = TestData.repoRoot.appendingPathComponent("Tests/Interop/check_volume_export.py").path

    /// Thrown (a test failure, not a skip) when CI=true and the check cannot run.
    struct Unavailable: Error, CustomStringConvertible { var description: String }

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true" }

    /// Runs `python3 script arguments`; returns (exit code, stdout + stderr), nil when python3 cannot start.
    static func python(_ arguments: [String]) -> (Int32, String)? {
        (try? Interop.run("python3", [script] + arguments))?.map { ($0.status, $0.text) }
    }

    /// Skips (or, on CI, fails) when the interpreter or modules are missing.
    static func requireModules(file: StaticString = #filePath, line: UInt = #line) throws {
        let reason: String
        switch python(["--check-modules"]) {
        case nil:
            reason = "python3 is not available"
        case let (code, output)? where code == 127:
            reason = "python3 is not available (\(output.trimmingCharacters(in: .whitespacesAndNewlines)))"
        case let (code, output)? where code != 0:
            reason = "Python modules for the interop check are missing: \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        default:
            return
        }
        if isCI { throw Unavailable(description: "interop check cannot run with CI=true: \(reason) (scripts/setup.sh installs them)") }
        print("skipped: \(reason)")
        throw XCTSkip(reason)
    }

    /// Checks `written` files against the source image and the expected label map (.npz `segs`).
    static func check(source: String, expected: String, written: [String], labels: String? = nil,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        try requireModules(file: file, line: line)
        var args = ["--source", source, "--expected", expected]
        if let labels { args += ["--labels", labels] }
        guard let (code, output) = python(args + written) else {
            XCTFail("python3 could not be started", file: file, line: line)
            return
        }
        XCTAssertEqual(code, 0, "check_volume_export.py failed:\n\(output)", file: file, line: line)
        if code == 0 { print(output.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// One group of files for `check(cases:)`.
    struct Case: Encodable {
        var source: String
        var expected: String
        var written: [String]
        var labels: String?
    }

    /// Checks many groups in one Python run (the case list goes through a JSON file in `folder`).
    static func check(cases: [Case], folder: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        try requireModules(file: file, line: line)
        let list = folder.appendingPathComponent("interop-cases.json")
        try JSONEncoder().encode(cases).write(to: list)
        guard let (code, output) = python(["--cases", list.path]) else {
            XCTFail("python3 could not be started", file: file, line: line)
            return
        }
        XCTAssertEqual(code, 0, "check_volume_export.py failed:\n\(output)", file: file, line: line)
        if code == 0 { print(output.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
