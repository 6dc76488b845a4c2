import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
@testable import VoxSAMSegment

/// The QA picture is radiological whatever the stored axis order: the same patient slice stored LPS,
/// PLS (in-plane axes swapped: the picture was once rotated 90°) or RAS-flipped gives the same tile.
final class QAMontageTests: XCTestCase {
    /// One axial slice, 6 (x) × 4 (y) voxels of 1 mm, value 10·y + x at LPS point (x, y), stored with
    /// `direction` columns for (i, j) and the origin chosen so the voxel centres are the same points.
    func tile(direction: Matrix3) -> RasterImage {
        let ci = direction[column: 0], cj = direction[column: 1]
        // Extents along i and j: whichever world axis each follows.
        let ni = abs(ci.x) > 0.5 ? 6 : 4, nj = abs(cj.x) > 0.5 ? 6 : 4
        var origin = SIMD3<Double>(0, 0, 0)
        if ci.x < -0.5 || ci.y < -0.5 { origin += -ci * Double(ni - 1) }
        if cj.x < -0.5 || cj.y < -0.5 { origin += -cj * Double(nj - 1) }
        let g = Geometry(size: SIMD3(ni, nj, 1), spacing: SIMD3(1, 1, 1), origin: origin, direction: direction)
        var pixels = [UInt8](repeating: 0, count: ni * nj)
        for j in 0..<nj {
            for i in 0..<ni {
                let p = g.worldPoint(index: SIMD3(Double(i), Double(j), 0))
                pixels[j * ni + i] = UInt8(10 * Int(p.y.rounded()) + Int(p.x.rounded()))
            }
        }
        let t = QAMontage.displayTransform(g, axis: .k)
        return QAMontage.orient(RasterImage(width: ni, height: nj, channels: 1, pixels: pixels), t)
    }

    func testTilesAreRadiologicalWhateverTheStoredOrder() {
        // LPS: screen right = +x (patient left), screen down = +y (posterior).
        let expected = RasterImage(width: 6, height: 4, channels: 1, pixels: (0..<4).flatMap { y in (0..<6).map { x in UInt8(10 * y + x) } })
        let lps = tile(direction: .identity)
        XCTAssertEqual(lps, expected)
        let pls = tile(direction: Matrix3(columns: SIMD3(0, 1, 0), SIMD3(1, 0, 0), SIMD3(0, 0, 1)))
        XCTAssertEqual(pls, expected, "PLS (in-plane axes swapped) must not come out rotated")
        let ras = tile(direction: Matrix3(columns: SIMD3(-1, 0, 0), SIMD3(0, -1, 0), SIMD3(0, 0, 1)))
        XCTAssertEqual(ras, expected, "RAS storage is mirrored back")
        let pri = tile(direction: Matrix3(columns: SIMD3(0, 1, 0), SIMD3(-1, 0, 0), SIMD3(0, 0, -1)))
        XCTAssertEqual(pri, expected, "PRI: swapped and mirrored")
    }
}
