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

/// A small deterministic generator for tests (SplitMix64).
public struct SeededRandom {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
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
