import Foundation
import XCTest
import VoxSAMTestSupport
@testable import VoxSAMIO
import VoxSAMCore

final class NRRDTests: XCTestCase {
    /// Expected values computed with pynrrd 1.x (space directions, origin, voxel sum).
    func testReadsPyradiomicsBrainLikePynrrd() throws {
        let path = try TestData.sharedData("A/pyradiomics/data/brain1_image.nrrd")
        let v = try NRRDReader.read(path: path)
        XCTAssertEqual(v.size, SIMD3(256, 256, 25))
        XCTAssertEqual(v.type, .int16)
        let expected: [[Double]] = [[0.78125, 0, 0, -99.609375], [0, -0.78125, 0, 99.609375], [0, 0, 6.5, -78], [0, 0, 0, 1]]
        XCTAssertLessThan(TestData.maxDifference(v.geometry.affineLPS, expected), 1e-9)
        var sum = 0.0
        for n in 0..<v.voxels.count { sum += v.voxels[n] }
        XCTAssertEqual(sum, 631_859_459)
        let label = try NRRDReader.read(path: try TestData.sharedData("A/pyradiomics/data/brain1_label.nrrd"))
        XCTAssertTrue(label.geometry.isSameGrid(as: v.geometry))
    }

    func testReadsObliqueFLAIR() throws {
        let v = try NRRDReader.read(path: try TestData.sharedData("C/niivue/packages/niivue/demos/images/FLAIR.nrrd"))
        XCTAssertEqual(v.size, SIMD3(124, 160, 140))
        let d0 = v.geometry.stepMatrix[column: 0]
        XCTAssertEqual(d0.x, -0.9935920092120875, accuracy: 1e-12)
        XCTAssertEqual(d0.y, 0.04970492721885441, accuracy: 1e-12)
        XCTAssertEqual(d0.z, -0.10151029228632795, accuracy: 1e-12)
        XCTAssertEqual(v.geometry.origin.z, -27.92553901672364, accuracy: 1e-9)
        var sum = 0.0
        for n in 0..<v.voxels.count { sum += v.voxels[n] }
        XCTAssertEqual(sum, 115_231_646)
    }

    func testRoundTripRawAndGzip() throws {
        let dir = try TestData.temporaryFolder(self)
        var rng = SeededRandom(seed: 7)
        let g = Geometry(size: SIMD3(6, 4, 3), spacing: SIMD3(0.5, 0.75, 3), origin: SIMD3(-10.123456789, 20.5, -300.25),
                         direction: Matrix3(rows: [[0, 0, 1], [1, 0, 0], [0, -1, 0]]))
        for (name, enc, voxels) in [("a.nrrd", NRRDWriter.Encoding.raw, VoxelBuffer.int16((0..<72).map { _ in Int16(rng.next(in: -2000...2000)) })),
                                    ("b.nrrd", .gzip, .float32((0..<72).map { _ in Float(rng.next(in: -9999...9999)) / 3 })),
                                    ("c.seg.nrrd", .gzip, .uint8((0..<72).map { _ in UInt8(rng.next(in: 0...3)) }))] {
            let path = dir.appendingPathComponent(name).path
            try NRRDWriter.write(Volume(geometry: g, voxels: voxels), to: path, encoding: enc, keyValues: [("Segment0_Name", "liver")])
            let back = try NRRDReader.read(path: path)
            XCTAssertEqual(back.voxels, voxels, name)
            XCTAssertLessThan(back.geometry.maxAffineDifference(to: g), 1e-12, name)
            XCTAssertEqual(try NRRDReader.readHeader(path: path).keyValue("Segment0_Name"), "liver")
        }
        XCTAssertEqual(TestData.listing(dir), ["a.nrrd", "b.nrrd", "c.seg.nrrd"])
    }

    func testTruncatedAndMalformedFilesAreRefused() throws {
        let dir = try TestData.temporaryFolder(self)
        let g = Geometry(size: SIMD3(16, 16, 8))
        let good = dir.appendingPathComponent("good.nrrd").path
        try NRRDWriter.write(Volume(geometry: g, voxels: .int16((0..<2048).map { Int16($0) })), to: good, encoding: .raw)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let cut = dir.appendingPathComponent("cut.nrrd").path
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: cut))
        TestData.assertError(.corruptFile, mentioning: "truncated", path: cut) { _ = try NRRDReader.read(path: cut) }
        let bad = dir.appendingPathComponent("bad.nrrd").path
        try Data("NRRD0004\ntype: short\ndimension: 3\n\n".utf8).write(to: URL(fileURLWithPath: bad))
        TestData.assertError(.corruptFile, mentioning: "sizes", path: bad) { _ = try NRRDReader.read(path: bad) }
    }
}
