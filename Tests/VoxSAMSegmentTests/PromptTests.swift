import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
@testable import VoxSAMSegment

final class PromptTests: XCTestCase {
    let size = SIMD3(100, 80, 20)

    func check(_ p: ObjectPrompt, _ fragment: String) {
        XCTAssertThrowsError(try PromptSource.validate([p], size: size, axis: 2)) { e in
            let v = e as? VoxSAMError
            XCTAssertEqual(v?.code, .invalidArgument)
            XCTAssertTrue(v?.description.contains(fragment) ?? false, "\(String(describing: v))")
            XCTAssertTrue(v?.description.contains("`\(p.name)`") ?? false, "error must name the object")
        }
    }

    func testBadBoxesNameTheObject() {
        check(ObjectPrompt(name: "liver", label: 1, box: VoxelBox([10, 10, 0, 120, 50, 5])), "outside the volume")
        check(ObjectPrompt(name: "spleen", label: 2, box: VoxelBox([50, 10, 0, 40, 50, 5])), "inverted")
        check(ObjectPrompt(name: "aorta", label: 3, box: VoxelBox([10, 10, 0, 10, 50, 5])), "empty")
        check(ObjectPrompt(name: "kidney", label: 4, box: VoxelBox([10, 10, 0, 20, 50, 5]), keySlice: 9), "key slice")
        XCTAssertThrowsError(try PromptSource.validate([ObjectPrompt(name: "a", label: 1, box: VoxelBox([1, 1, 1, 5, 5, 5])),
                                                        ObjectPrompt(name: "b", label: 1, box: VoxelBox([1, 1, 1, 5, 5, 5]))], size: size, axis: 2))
        XCTAssertThrowsError(try VoxelBox.parse("1,2,3", what: "x"))
    }

    func testMillimetreBoxesAndMaskBoxes() throws {
        let g = Geometry(size: size, spacing: SIMD3(0.5, 0.5, 2), origin: SIMD3(-20, 10, 100), direction: Matrix3(rows: [[-1, 0, 0], [0, -1, 0], [0, 0, 1]]))
        // Corners of voxels (4, 6, 2) and (10, 20, 7) in LPS mm.
        let a = g.worldPoint(index: SIMD3(4, 6, 2)), b = g.worldPoint(index: SIMD3(10, 20, 7))
        let box = try PromptSource.box(fromMillimetres: [b.x, b.y, b.z, a.x, a.y, a.z], geometry: g, what: "t")
        XCTAssertEqual(box, VoxelBox([4, 6, 2, 10, 20, 7]))
        var labels = [UInt8](repeating: 0, count: size.x * size.y * size.z)
        labels[(3 * 80 + 5) * 100 + 7] = 2
        labels[(9 * 80 + 15) * 100 + 30] = 2
        labels[(1 * 80 + 1) * 100 + 1] = 1
        let v = Volume(geometry: g, voxels: .uint8(labels))
        let prompts = try PromptSource.fromLabelMap(v, only: [2])
        XCTAssertEqual(prompts.first?.box, VoxelBox([7, 5, 3, 30, 15, 9]))
        XCTAssertThrowsError(try PromptSource.fromLabelMap(v, only: [5]))
    }
}
