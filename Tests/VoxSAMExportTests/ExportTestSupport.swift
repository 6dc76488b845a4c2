import Foundation
import XCTest
import VoxSAMCore

/// Locations of test data and small helpers for the export tests.
enum ExportTestSupport {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sharedRoot = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
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
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-export-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Files in a folder (non-recursive), names only, sorted.
    static func listing(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    /// Asserts that `body` throws a VoxSAMError with `code` whose text mentions every fragment.
    static func assertError(_ code: VoxSAMError.Code, mentioning fragments: String...,
                            file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a \(code) error", file: file, line: line)
        } catch let e as VoxSAMError {
            XCTAssertEqual(e.code, code, "\(e)", file: file, line: line)
            for f in fragments {
                XCTAssertTrue(e.description.lowercased().contains(f.lowercased()), "message \"\(e)\" lacks \"\(f)\"", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }

    /// Geometries for round trips: axis-aligned, flipped (RAS-like), oblique, and permuted axes.
    static func testGeometries(size: SIMD3<Int>) -> [(String, Geometry)] {
        let c = cos(0.3), s = sin(0.3), c2 = cos(-0.2), s2 = sin(-0.2)
        // Rotation about z by 0.3 rad, then about x by −0.2 rad.
        let rz = Matrix3(rows: [[c, -s, 0], [s, c, 0], [0, 0, 1]])
        let rx = Matrix3(rows: [[1, 0, 0], [0, c2, -s2], [0, s2, c2]])
        return [
            ("axial LPS", Geometry(size: size, spacing: SIMD3(0.8, 0.8, 2.5), origin: SIMD3(-120.5, -98.25, 33.125))),
            ("flipped RAS", Geometry(size: size, spacing: SIMD3(3, 3, 3), origin: SIMD3(177.956, -11.319, 94.302),
                                     direction: Matrix3(rows: [[-1, 0, 0], [0, -1, 0], [0, 0, 1]]))),
            ("oblique", Geometry(size: size, spacing: SIMD3(0.9765625, 0.9765625, 1.25), origin: SIMD3(-10.123456789, 20.5, -300.25),
                                 direction: rx * rz)),
            ("sagittal descending", Geometry(size: size, spacing: SIMD3(1.5, 0.7, 4), origin: SIMD3(40, -7.5, 12.75),
                                             direction: Matrix3(rows: [[0, 0, -1], [1, 0, 0], [0, -1, 0]]))),
        ]
    }
}

/// A small deterministic generator for tests (SplitMix64).
struct ExportRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(nextUInt64() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func unit() -> Double { Double(nextUInt64() >> 11) / Double(1 << 53) }
}
