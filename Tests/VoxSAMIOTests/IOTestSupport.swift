import Foundation
import XCTest
import VoxSAMCore

/// Locations of test data: the repository (from #filePath) and `../shared` beside it.
enum IOTestSupport {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sharedRoot = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let sampleData = repoRoot.appendingPathComponent("SampleData")

    /// `../shared/data/<relative>`, or XCTSkip with the reason when the shared folder is absent.
    static func sharedData(_ relative: String) throws -> String {
        let url = sharedRoot.appendingPathComponent("data").appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let reason = "skipped: \(url.path) is not available (../shared is absent in this checkout)"
            print(reason)
            throw XCTSkip(reason)
        }
        return url.path
    }

    /// A fresh temporary folder, removed at the end of the test.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Files in a folder (non-recursive), names only.
    static func listing(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    /// Asserts that `body` throws a VoxSAMError with `code` whose text mentions every fragment
    /// (case-insensitive) and, when given, names `path`.
    static func assertError(_ code: VoxSAMError.Code, mentioning fragments: String..., path: String? = nil,
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

    static func maxDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        var m = 0.0
        for r in 0..<min(a.count, b.count) { for c in 0..<min(a[r].count, b[r].count) { m = max(m, abs(a[r][c] - b[r][c])) } }
        return m
    }
}
