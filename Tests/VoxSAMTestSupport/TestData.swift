import Foundation
import XCTest
import VoxSAMCore

/// Test data and small assertions shared by the test targets: the repository (from this file's
/// path, Tests/VoxSAMTestSupport/TestData.swift), `../shared` beside it, temporary folders and
/// VoxSAMError checks. Tests that need `../shared` skip with a printed reason when it is absent.
public enum TestData {
    public static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let sharedRoot = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    public static let sampleData = repoRoot.appendingPathComponent("SampleData")

    /// `../shared/data/<relative>`, or XCTSkip with the reason (printed) when it is absent.
    public static func sharedData(_ relative: String) throws -> String {
        let url = sharedRoot.appendingPathComponent("data").appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let reason = "skipped: \(url.path) is not available (../shared is absent in this checkout)"
            print(reason)
            throw XCTSkip(reason)
        }
        return url.path
    }

    /// A fresh temporary folder, removed at the end of the test.
    public static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Files in a folder (non-recursive), names only, sorted.
    public static func listing(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    /// Asserts that `body` throws a VoxSAMError with `code` whose text mentions every fragment
    /// (case-insensitive) and, when given, names `path`.
    public static func assertError(_ code: VoxSAMError.Code, mentioning fragments: String..., path: String? = nil,
                                   file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a \(code) error", file: file, line: line)
        } catch let e as VoxSAMError {
            XCTAssertEqual(e.code, code, "\(e)", file: file, line: line)
            for f in fragments {
                XCTAssertTrue(e.description.lowercased().contains(f.lowercased()), "message \"\(e)\" lacks \"\(f)\"", file: file, line: line)
            }
            if let path { XCTAssertTrue(e.path == path || e.description.contains(path), "message \"\(e)\" lacks the path \(path)", file: file, line: line) }
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }
}

/// A small deterministic generator for tests (SplitMix64); also a `RandomNumberGenerator` for the
/// standard library's `random(in:using:)` and `randomElement(using:)`.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 { nextUInt64() }
    public mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    public mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(nextUInt64() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(nextUInt64() >> 11) / Double(1 << 53) }
}

/// Runs a program (found on PATH through /usr/bin/env, or an absolute path) to completion: the one
/// process runner of the tests (python3 checks, the release `voxsam`, peers).
public enum TestProcess {
    public struct Output {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        let p = Process()
        if program.hasPrefix("/") {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [program] + arguments
        }
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        // stderr goes to a file: two pipes read one after the other could block the child.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-test-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: errURL)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// `python3 -c CODE ARGUMENTS…`; fails the test with its output unless it exits 0. Returns stdout.
    @discardableResult
    public static func python(_ code: String, arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let out = try run("python3", ["-c", code] + arguments)
        XCTAssertEqual(out.status, 0, "python3 failed:\n\(out.stderr)", file: file, line: line)
        return out.stdout
    }
}
