import Foundation
import XCTest
import VoxSAMTestSupport
@testable import VoxSAMIO
import VoxSAMCore

final class WindowingTests: XCTestCase {
    /// The reference cases were made from these NIfTIs; our windowing must give the same bytes.
    func testMatchesReferenceConversionCTAndMR() throws {
        for (nifti, npz, window) in [
            ("A/TotalSegmentator/tests/reference_files/example_ct_sm.nii.gz", "../reference/cases/imgs/3DBox_CT_TSsmall.npz", Window.ctDefault),
            ("A/TotalSegmentator/tests/reference_files/example_mr_sm.nii.gz", "../reference/cases/imgs/3DBox_MR_TSsmall.npz", Window.mrDefault),
        ] {
            let source = try NIfTIReader.read(path: try TestData.sharedData(nifti))
            let reference = try NPZVolume.read(path: try TestData.sharedData(npz))
            let windowed = Windowing.apply(window, to: source)
            XCTAssertEqual(windowed.size, reference.size)
            XCTAssertEqual(windowed.voxels, reference.voxels, "\(nifti) windowed with \(window) differs from \(npz)")
        }
    }

    func testParsing() throws {
        XCTAssertEqual(try Window.parse("abdomen"), .widthLevel(width: 400, level: 40))
        XCTAssertEqual(try Window.parse("lung"), .widthLevel(width: 1500, level: -600))
        XCTAssertEqual(try Window.parse("350,50"), .widthLevel(width: 350, level: 50))
        XCTAssertEqual(try Window.parse("p1,99"), .percentile(low: 1, high: 99))
        TestData.assertError(.invalidArgument, mentioning: "is not a window") { _ = try Window.parse("bright") }
        TestData.assertError(.invalidArgument, mentioning: "width") { _ = try Window.parse("-5,40") }
    }

    func testPercentileKeepsZeroAndScalesToFullRange() {
        let v = Volume(geometry: Geometry(size: SIMD3(5, 1, 1)), voxels: .int16([0, 10, 20, 30, 40]))
        guard case .uint8(let out) = Windowing.apply(.percentile(low: 0, high: 100), to: v).voxels else { return XCTFail() }
        XCTAssertEqual(out, [0, 0, 85, 170, 255])
    }
}
