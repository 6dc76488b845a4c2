import Foundation
import VoxSAMTestSupport

/// IO-test specifics on top of the shared `TestData`.
extension TestData {
    /// Tests/VoxSAMIOTests/Fixtures (small reference files made with nibabel/pynrrd).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func maxDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        var m = 0.0
        for r in 0..<min(a.count, b.count) { for c in 0..<min(a[r].count, b[r].count) { m = max(m, abs(a[r][c] - b[r][c])) } }
        return m
    }
}
