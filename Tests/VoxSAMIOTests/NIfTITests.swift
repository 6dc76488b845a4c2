import Foundation
import XCTest
import VoxSAMTestSupport
@testable import VoxSAMIO
import VoxSAMCore

final class NIfTITests: XCTestCase {
    struct Expected: Decodable {
        var affine_ras: [[Double]]?
        var shape: [Int]?
        var dtype: String?
        var sum: Double?
        var min: Double?
        var max: Double?
        var error: String?
    }

    struct Fixture: Decodable { var tool: String; var files: [String: Expected] }

    /// Every NIfTI in ../shared/data/C and A reads with nibabel's affine and voxel sums, or is refused clearly.
    func testAgainstNibabel() throws {
        _ = try TestData.sharedData("C")
        let data = try Data(contentsOf: TestData.fixtures.appendingPathComponent("nibabel_affines.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        var checked = 0, refused = 0
        for (relative, expected) in fixture.files.sorted(by: { $0.key < $1.key }) {
            let path = try TestData.sharedData(relative)
            let dtype = expected.dtype ?? ""
            if dtype.contains("R") || dtype.hasPrefix("complex") {
                TestData.assertError(.unsupportedData, mentioning: dtype.hasPrefix("complex") ? "complex" : "RGB", path: path) {
                    _ = try NIfTIReader.read(path: path)
                }
                refused += 1
                continue
            }
            let v = try NIfTIReader.read(path: path)
            guard let affine = expected.affine_ras, let shape = expected.shape else { continue }
            XCTAssertEqual([v.size.x, v.size.y, v.size.z], Array((shape + [1, 1]).prefix(3)), relative)
            let diff = TestData.maxDifference(v.geometry.affineRAS, affine)
            XCTAssertLessThan(diff, 1e-4, "\(relative): affine differs from nibabel by \(diff)")
            if let s = expected.sum, let lo = expected.min, let hi = expected.max {
                var sum = 0.0
                for n in 0..<v.voxels.count { sum += v.voxels[n] }
                XCTAssertEqual(sum, s, accuracy: max(1e-3, abs(s) * 1e-5), "\(relative): voxel sum")
                let r = try XCTUnwrap(v.voxels.range)
                XCTAssertEqual(r.min, lo, accuracy: max(1e-4, abs(lo) * 1e-6), relative)
                XCTAssertEqual(r.max, hi, accuracy: max(1e-4, abs(hi) * 1e-6), relative)
            }
            checked += 1
        }
        print("NIfTI vs \(fixture.tool): \(checked) files matched, \(refused) refused with a clear message")
        XCTAssertGreaterThan(checked, 60)
    }

    /// The 48 orientations of `nifti_space` are the same image in world space.
    func testFortyEightOrientationsAgreeInWorldSpace() throws {
        let folder = try TestData.sharedData("C/niivue/packages/niivue/tests/images/nifti_space")
        let reference = try NIfTIReader.read(path: folder + "/RAS.nii.gz")
        let files = TestData.listing(URL(fileURLWithPath: folder)).filter { $0.hasSuffix(".nii.gz") }
        XCTAssertEqual(files.count, 48)
        let g = reference.geometry
        for name in files {
            let v = try NIfTIReader.read(path: folder + "/" + name)
            var mismatches = 0, samples = 0
            for k in stride(from: 0, to: g.size.z, by: 3) {
                for j in stride(from: 0, to: g.size.y, by: 3) {
                    for i in stride(from: 0, to: g.size.x, by: 3) {
                        let p = g.worldPoint(index: SIMD3(Double(i), Double(j), Double(k)))
                        let c = try XCTUnwrap(v.geometry.continuousIndex(world: p))
                        let q = SIMD3(Int(c.x.rounded()), Int(c.y.rounded()), Int(c.z.rounded()))
                        XCTAssertLessThan(abs(c.x - Double(q.x)) + abs(c.y - Double(q.y)) + abs(c.z - Double(q.z)), 1e-3, name)
                        samples += 1
                        if reference.value(i, j, k) != v.value(q.x, q.y, q.z) { mismatches += 1 }
                    }
                }
            }
            XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) of \(samples) world samples differ from RAS.nii.gz")
        }
    }

    func testRoundTripKeepsVoxelsAndAffine() throws {
        let dir = try TestData.temporaryFolder(self)
        var rng = SeededRandom(seed: 42)
        let size = SIMD3(7, 5, 4)
        let dir3 = Matrix3(rows: [[0.0, 0.6, 0.8], [-1, 0, 0], [0, 0.8, -0.6]])
        let g = Geometry(size: size, spacing: SIMD3(0.7, 1.3, 2.5), origin: SIMD3(-123.456, 78.9, 10.125), direction: dir3)
        let cases: [(String, VoxelBuffer, Bool)] = [
            ("a.nii", .int16((0..<140).map { _ in Int16(rng.next(in: -1024...3000)) }), false),
            ("b.nii.gz", .uint8((0..<140).map { _ in UInt8(rng.next(in: 0...255)) }), false),
            ("c.nii.gz", .float32((0..<140).map { _ in Float(rng.next(in: -5000...5000)) / 7 }), false),
            ("d.hdr", .uint16((0..<140).map { _ in UInt16(rng.next(in: 0...65535)) }), false),
            ("e.nii", .int32((0..<140).map { _ in Int32(rng.next(in: -100000...100000)) }), false),
        ]
        for (name, voxels, nifti2) in cases {
            let path = dir.appendingPathComponent(name).path
            let v = Volume(geometry: g, voxels: voxels)
            try NIfTIWriter.write(v, to: path)
            let back = try NIfTIReader.read(path: path)
            XCTAssertEqual(back.voxels, voxels, name)
            let tolerance = nifti2 ? 1e-9 : 1e-4  // NIfTI-1 stores the affine as float32
            XCTAssertLessThan(back.geometry.maxAffineDifference(to: g), tolerance, name)
            XCTAssertTrue(back.geometry.isSameGrid(as: g, tolerance: 1e-3), name)
        }
        // Nothing but the outputs (and the .img of the pair) is left behind.
        XCTAssertEqual(TestData.listing(dir), ["a.nii", "b.nii.gz", "c.nii.gz", "d.hdr", "d.img", "e.nii"])
    }

    /// A NIfTI-2 file written by nibabel (committed fixture) reads with nibabel's affine (double precision).
    func testReadsNIfTI2() throws {
        let path = TestData.fixtures.appendingPathComponent("nifti2_int32.nii.gz").path
        struct E: Decodable { var affine_ras: [[Double]]; var sum: Int; var first: Int; var last: Int; var header_size: Int }
        let e = try JSONDecoder().decode(E.self, from: Data(contentsOf: TestData.fixtures.appendingPathComponent("nifti2_int32.json")))
        XCTAssertEqual(e.header_size, 540)
        let v = try NIfTIReader.read(path: path)
        XCTAssertEqual(v.type, .int32)
        XCTAssertLessThan(TestData.maxDifference(v.geometry.affineRAS, e.affine_ras), 1e-9)
        guard case .int32(let a) = v.voxels else { return XCTFail() }
        XCTAssertEqual(a.reduce(0) { $0 + Int($1) }, e.sum)
        XCTAssertEqual(Int(a.first!), e.first)
        XCTAssertEqual(Int(a.last!), e.last)
    }

    func testBadInputsGiveClearErrors() throws {
        let dir = try TestData.temporaryFolder(self)
        // Missing file.
        TestData.assertError(.notFound, mentioning: "no such file") { _ = try NIfTIReader.read(path: dir.path + "/missing.nii") }
        // Not a NIfTI at all.
        let text = dir.appendingPathComponent("notes.nii").path
        try Data("hello, this is not an image".utf8).write(to: URL(fileURLWithPath: text))
        TestData.assertError(.corruptFile, mentioning: "NIfTI", path: text) { _ = try NIfTIReader.read(path: text) }
        // Truncated .nii.gz: a valid header, then the stream stops.
        let g = Geometry(size: SIMD3(64, 64, 32))
        let good = dir.appendingPathComponent("good.nii.gz").path
        try NIfTIWriter.write(Volume(geometry: g, voxels: .int16((0..<(64 * 64 * 32)).map { Int16($0 % 3000) })), to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let cut = dir.appendingPathComponent("cut.nii.gz").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        TestData.assertError(.corruptFile, mentioning: "truncated", path: cut) { _ = try NIfTIReader.read(path: cut) }
        // Wrong output extension and a missing output folder: errors, nothing written.
        let v = Volume(geometry: Geometry(size: SIMD3(2, 2, 2)), voxels: .uint8([1, 2, 3, 4, 5, 6, 7, 8]))
        TestData.assertError(.unsupportedFormat, mentioning: ".nii") { try NIfTIWriter.write(v, to: dir.path + "/x.png") }
        TestData.assertError(.writeFailed, mentioning: "does not exist") { try NIfTIWriter.write(v, to: dir.path + "/no/such/dir/x.nii") }
        XCTAssertEqual(TestData.listing(dir), ["cut.nii.gz", "good.nii.gz", "notes.nii"])
    }

    func testFourDimensionalPicksAVolume() throws {
        let path = try TestData.sharedData("C/niivue/packages/niivue/demos/images/V1.nii.gz")
        let first = try NIfTIReader.read(path: path)
        XCTAssertTrue(first.metadata.warnings.contains { $0.contains("first volume") })
        let second = try NIfTIReader.read(path: path, options: .init(volumeIndex: 1))
        XCTAssertNotEqual(first.voxels, second.voxels)
        TestData.assertError(.invalidArgument, mentioning: "out of range") { _ = try NIfTIReader.read(path: path, options: .init(volumeIndex: 3)) }
    }
}
