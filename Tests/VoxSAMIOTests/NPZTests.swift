import Foundation
import XCTest
import VoxSAMTestSupport
@testable import VoxSAMIO
import VoxSAMCore

final class NPZTests: XCTestCase {
    func testReadsCVPR24Case() throws {
        let path = try TestData.sharedData("../reference/cases/imgs/3DBox_MR_TSsmall.npz")
        let npz = try NPZArchive.read(path: path)
        let v = try NPZVolume.read(path: path)
        XCTAssertEqual(v.size, SIMD3(117, 91, 20))
        XCTAssertEqual(v.type, .uint8)
        XCTAssertEqual(v.geometry.spacing, SIMD3(3, 3, 3))
        let boxes = try NPZVolume.boxes(in: npz, path: path)
        XCTAssertEqual(boxes.count, 6)
        XCTAssertEqual(boxes[0], [11, 16, 0, 55, 71, 19])
    }

    func testReadsMedSAM2StyleGeometry() throws {
        let path = try TestData.sharedData("A/MedSAM2/data/RECIST_train_npz/CT_Lesion_000002_03_01_035-047.npz")
        let v = try NPZVolume.read(path: path)
        XCTAssertEqual(v.size, SIMD3(512, 512, 13))
        XCTAssertEqual(v.geometry.spacing.z, 5, accuracy: 1e-9)
        XCTAssertEqual(v.geometry.spacing.x, 0.9766, accuracy: 1e-3)
        XCTAssertEqual(v.geometry.direction[column: 0], SIMD3(0, 1, 0))
    }

    func testLabelMapRoundTripAndNpyHeaders() throws {
        let dir = try TestData.temporaryFolder(self)
        var rng = SeededRandom(seed: 3)
        let g = Geometry(size: SIMD3(5, 4, 3), spacing: SIMD3(0.8, 0.9, 2.5))
        let labels = VoxelBuffer.uint8((0..<60).map { _ in UInt8(rng.next(in: 0...6)) })
        let path = dir.appendingPathComponent("seg.npz").path
        try NPZVolume.writeLabelMap(Volume(geometry: g, voxels: labels), to: path)
        let npz = try NPZArchive.read(path: path)
        XCTAssertEqual(npz["segs"]?.shape, [3, 4, 5])
        let back = try NPZVolume.read(path: path, array: "segs")
        XCTAssertEqual(back.voxels, labels)
        XCTAssertEqual(back.geometry.spacing, g.spacing)
        // Header padding: total header length is a multiple of 64, as NumPy requires.
        let bytes = npz["segs"]!.npyBytes
        XCTAssertEqual((10 + Int(bytes[8]) + Int(bytes[9]) << 8) % 64, 0)
    }

    /// A MedSAM2-style geometry (direction, origin) survives writing a label map: it once came back
    /// as axis-aligned at the origin, so `eval` refused VoxSAM's own output against its input.
    func testLabelMapKeepsMedSAM2OriginAndDirection() throws {
        let input = try TestData.sharedData("A/MedSAM2/data/RECIST_train_npz/CT_Lesion_000002_03_01_035-047.npz")
        let image = try NPZVolume.read(path: input)
        let dir = try TestData.temporaryFolder(self)
        let path = dir.appendingPathComponent("segs.npz").path
        let labels = Volume(geometry: image.geometry, voxels: .uint8([UInt8](repeating: 1, count: image.voxels.count)))
        try NPZVolume.writeLabelMap(labels, to: path)
        let npz = try NPZArchive.read(path: path)
        XCTAssertNotNil(npz["direction"])
        XCTAssertNotNil(npz["origin"])
        let back = try NPZVolume.read(path: path, array: "segs")
        XCTAssertEqual(back.geometry, image.geometry)
        // Axis-aligned at the origin: the CVPR24 layout, spacing (z, y, x) only, as before.
        let plain = dir.appendingPathComponent("plain.npz").path
        try NPZVolume.writeLabelMap(Volume(geometry: Geometry(size: SIMD3(2, 2, 2), spacing: SIMD3(1, 2, 3)),
                                           voxels: .uint8([0, 1, 0, 1, 0, 1, 0, 1])), to: plain)
        let p = try NPZArchive.read(path: plain)
        XCTAssertNil(p["direction"])
        XCTAssertEqual(p["spacing"]?.doubles, [3, 2, 1])
    }

    func testCorruptArchiveIsRefused() throws {
        let dir = try TestData.temporaryFolder(self)
        let path = dir.appendingPathComponent("broken.npz").path
        try Data([0x50, 0x4B, 0x03, 0x04, 1, 2, 3]).write(to: URL(fileURLWithPath: path))
        TestData.assertError(.corruptFile, mentioning: "npz", path: path) { _ = try NPZArchive.read(path: path) }
    }
}
