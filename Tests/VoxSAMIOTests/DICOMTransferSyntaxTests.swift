import Foundation
import XCTest
import VoxSAMTestSupport
import VoxSAMCore
@testable import VoxSAMIO

/// The same image in every transfer syntax decodes to the same voxels.
final class DICOMTransferSyntaxTests: XCTestCase {
    /// SampleData/dicom (committed, MIT): MR_small in explicit LE, implicit LE, explicit BE, RLE,
    /// JPEG 2000 lossless and JPEG-LS lossless.
    func testBundledMRSmallSyntaxesDecodeIdentically() throws {
        let names = ["MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
                     "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"]
        try checkIdentical(names.map(DICOMTestSupport.sample))
    }

    /// ../shared pydicom matrix, including the second big-endian file and the padded variant.
    func testPydicomMRSmallMatrixDecodesIdentically() throws {
        let folder = try TestData.sharedData(DICOMTestSupport.pydicomFiles)
        let names = ["MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm", "MR_small_RLE.dcm",
                     "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_padded.dcm"]
        try checkIdentical(names.map { "\(folder)/\($0)" })
    }

    /// Enhanced MR without functional-group geometry (emri_small, 10 frames) in explicit LE,
    /// explicit BE, RLE, JPEG 2000 and JPEG-LS: multi-frame decoding, stacked with a warning.
    func testMultiFrameSyntaxesDecodeIdentically() throws {
        let folder = try TestData.sharedData("B/pydicom-data/data_store/data")
        let names = ["emri_small.dcm", "emri_small_big_endian.dcm", "emri_small_RLE.dcm", "emri_small_jpeg_2k_lossless.dcm",
                     "emri_small_jpeg_ls_lossless.dcm"]
        let volumes = try checkIdentical(names.map { "\(folder)/\($0)" })
        XCTAssertEqual(volumes[0].size, SIMD3(64, 64, 10))
        XCTAssertTrue(volumes[0].metadata.warnings.contains { $0.contains("ImagePositionPatient (0020,0032)") })
        XCTAssertEqual(volumes[0].metadata.sliceReferences.map(\.frame), (1...10).map { $0 })
    }

    /// Committed multi-frame JPEG 2000 (one fragment per frame).
    func testBundledMultiFrameJPEG2000() throws {
        let volume = try DICOMReader.read(path: DICOMTestSupport.sample("emri_small_jpeg_2k_lossless.dcm"))
        XCTAssertEqual(volume.size, SIMD3(64, 64, 10))
        XCTAssertEqual(volume.type, .uint16)
        let range = try XCTUnwrap(volume.voxels.range)
        XCTAssertEqual(range.min, 0)
        XCTAssertGreaterThan(range.max, 400)
    }

    /// Multi-frame JPEG 2000 with every frame split over three fragments (as `gdcmconv --split`
    /// does), once with an empty Basic Offset Table (frames found by the codestream markers) and
    /// once with a filled one (frames found by offsets): same voxels as the original.
    func testJPEG2000FramesSplitOverFragments() throws {
        let original = DICOMTestSupport.sample("emri_small_jpeg_2k_lossless.dcm")
        let expected = DICOMTestSupport.values(try DICOMReader.read(path: original))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-dicom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for withTable in [false, true] {
            let path = folder.appendingPathComponent(withTable ? "bot.dcm" : "nobot.dcm").path
            try Self.splitFragments(of: original, into: path, parts: 3, offsetTable: withTable)
            let volume = try DICOMReader.read(path: path)
            XCTAssertEqual(volume.size, SIMD3(64, 64, 10))
            let values = DICOMTestSupport.values(volume)
            XCTAssertEqual(zip(values, expected).filter { $0 != $1 }.count, 0, "offset table: \(withTable)")
        }
    }

    /// Rewrites the encapsulated Pixel Data of an explicit-VR-little-endian file: each fragment
    /// becomes `parts` fragments (even lengths), with or without a Basic Offset Table.
    static func splitFragments(of source: String, into destination: String, parts: Int, offsetTable: Bool) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        // (7FE0,0010), VR OB (or OW, as this file has it), undefined length.
        let markerLength = 12
        let isMarker = { (o: Int) -> Bool in
            Array(bytes[o..<(o + 4)]) == [0xE0, 0x7F, 0x10, 0x00] && bytes[o + 4] == 0x4F && [0x42, 0x57].contains(bytes[o + 5])
                && Array(bytes[(o + 6)..<(o + 12)]) == [0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]
        }
        guard let start = (0...(bytes.count - markerLength)).last(where: isMarker) else {
            throw VoxSAMError(.corruptFile, "no encapsulated PixelData found", path: source)
        }
        func u32(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24 }
        func le32(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
        var p = start + markerLength
        var fragments: [[UInt8]] = []
        while bytes[p] == 0xFE && bytes[p + 1] == 0xFF && bytes[p + 2] == 0x00 && bytes[p + 3] == 0xE0 {
            let n = u32(p + 4)
            fragments.append(Array(bytes[(p + 8)..<(p + 8 + n)]))
            p += 8 + n
        }
        let frames = fragments.dropFirst() // item 0 is the (empty) offset table
        var items: [[UInt8]] = []
        var offsets: [Int] = []
        var offset = 0
        for frame in frames {
            offsets.append(offset)
            var cut = 0
            for k in 0..<parts {
                var end = k == parts - 1 ? frame.count : (frame.count * (k + 1) / parts) & ~1
                end = max(end, cut)
                let piece = Array(frame[(frame.startIndex + cut)..<(frame.startIndex + end)])
                cut = end
                items.append(piece)
                offset += 8 + piece.count
            }
        }
        var out = Array(bytes[0..<(start + markerLength)])
        let table = offsetTable ? offsets.flatMap(le32) : []
        out += [0xFE, 0xFF, 0x00, 0xE0] + le32(table.count) + table
        for item in items { out += [0xFE, 0xFF, 0x00, 0xE0] + le32(item.count) + item }
        out += Array(bytes[p...]) // sequence delimitation item and anything after
        try Data(out).write(to: URL(fileURLWithPath: destination))
    }

    /// Deflated explicit VR little endian, 8-bit unsigned: a uint8 volume.
    func testBundledDeflated8Bit() throws {
        let volume = try DICOMReader.read(path: DICOMTestSupport.sample("image_dfl.dcm"))
        XCTAssertEqual(volume.size, SIMD3(512, 512, 1))
        XCTAssertEqual(volume.type, .uint8)
        XCTAssertGreaterThan(volume.voxels.range?.max ?? 0, 0)
    }

    /// JPEG 2000 whose codestream signedness disagrees with PixelRepresentation (0028,0103): the
    /// DICOM attribute wins (CT in HU with negative values, like pydicom's decode).
    func testJPEG2000PixelRepresentationMismatch() throws {
        let path = try TestData.sharedData("\(DICOMTestSupport.pydicomFiles)/J2K_pixelrep_mismatch.dcm")
        let volume = try DICOMReader.read(path: path, options: DICOMReadOptions(applyRescale: false))
        XCTAssertEqual(volume.type, .int16)
        let range = try XCTUnwrap(volume.voxels.range)
        XCTAssertEqual(range.min, -2000)
        XCTAssertEqual(range.max, 1896)
    }

    /// pydicom-data MR2 (1024²): JPEG 2000 lossless equals its uncompressed original (UNCR), and
    /// the lossy JPEG 2000 decodes exactly to the reference decode shipped with it (UNCI).
    func testJPEG2000MatchesUncompressedReferences() throws {
        let folder = try TestData.sharedData("B/pydicom-data/data_store/data")
        try checkIdentical(["\(folder)/MR2_UNCR.dcm", "\(folder)/MR2_J2KR.dcm"])
        try checkIdentical(["\(folder)/MR2_UNCI.dcm", "\(folder)/MR2_J2KI.dcm"])
    }

    // MARK: helpers

    @discardableResult
    private func checkIdentical(_ paths: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [Volume] {
        let volumes = try paths.map { try DICOMReader.read(path: $0) }
        let reference = volumes[0]
        let values = DICOMTestSupport.values(reference)
        XCTAssertFalse(values.allSatisfy { $0 == 0 }, file: file, line: line)
        for (path, v) in zip(paths, volumes).dropFirst() {
            XCTAssertEqual(v.size, reference.size, path, file: file, line: line)
            XCTAssertEqual(v.type, reference.type, path, file: file, line: line)
            XCTAssertTrue(v.geometry.isSameGrid(as: reference.geometry, tolerance: 1e-6), path, file: file, line: line)
            let other = DICOMTestSupport.values(v)
            let differing = zip(other, values).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(path) decodes differently from \(paths[0]) at \(differing) voxels", file: file, line: line)
        }
        return volumes
    }
}
