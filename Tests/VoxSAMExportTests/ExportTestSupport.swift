import Foundation
import VoxSAMCore
import VoxSAMTestSupport

/// Export-test specifics on top of the shared `TestData`.
extension TestData {
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
