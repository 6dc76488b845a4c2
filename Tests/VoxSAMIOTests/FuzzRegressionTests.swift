import Foundation
import VoxSAMCore
@testable import VoxSAMIO
import VoxSAMTestSupport
import XCTest

/// Inputs that once crashed a reader under the fuzzers (Fuzz/regressions/TARGET, see Fuzz/README.md):
/// each must now be read or refused with a VoxSAMError. scripts/fuzz.sh replays the same files under
/// AddressSanitizer before fuzzing.
final class FuzzRegressionTests: XCTestCase {
    static let regressions = TestData.repoRoot.appendingPathComponent("Fuzz/regressions")

    /// `read` refuses regression input `name` with a `.corruptFile` error mentioning `fragment`, in under 2 s.
    func assertRefusedQuickly(_ name: String, mentioning fragment: String, read: (String) throws -> Void = { _ = try VolumeReader.read(path: $0) },
                              file: StaticString = #filePath, line: UInt = #line) {
        let path = Self.regressions.appendingPathComponent(name).path
        let start = Date()
        TestData.assertError(.corruptFile, mentioning: fragment, path: path, file: file, line: line) { try read(path) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, file: file, line: line)
    }

    func files(_ target: String) -> [URL] {
        let dir = Self.regressions.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { dir.appendingPathComponent($0) }
    }

    /// NIfTI-2 header with dim[0] = 0xFFFFFFFFFFFC: nifticlib's nifti_convert_n2hdr2nim looped to dim[0],
    /// writing past its header copy's dim[8] until the stack ran out (SIGSEGV).
    func testNIfTI2HugeDim0IsRefusedBeforeNifticlibConvertsIt() throws {
        let file = Self.regressions.appendingPathComponent("nifti/nii2_dim0_huge_stack_overflow.nii").path
        TestData.assertError(.corruptFile, mentioning: "NIfTI", path: file) {
            _ = try NIfTIReader.read(path: file)
        }
    }

    /// Byte-swapped 348-byte header (dim[0] = 0x0400) carrying the NIfTI-2 magic "n+2": nifticlib's
    /// nifti_read_n1_hdr swaps its 348-byte stack copy as a 540-byte NIfTI-2 header (stack smashing).
    /// nifti_image_read refuses it; the crash came from reading the stored fields before it.
    func testNIfTI1HeaderWithNIfTI2MagicIsRefused() throws {
        let file = Self.regressions.appendingPathComponent("nifti/nii1_swapped_n2magic_stack_smash.nii").path
        TestData.assertError(.corruptFile, mentioning: "NIfTI", path: file) {
            _ = try NIfTIReader.read(path: file)
        }
    }

    /// 766-byte DICOM file, Columns missing, NumberOfFrames = 1000000, an undefined-length pixel sequence
    /// under an unknown (so native) transfer syntax: nothing bounded the frame count, and reading the
    /// header asked DCMTK for each frame's attributes a million times (> 10 s under ASan). Now refused
    /// where the pixel data size is checked, before any per-frame work.
    func testDICOMEmptyFramesAreRefusedQuickly() throws {
        assertRefusedQuickly("dicom/frames_1e6_no_columns_timeout.dcm", mentioning: "PixelData")
    }

    /// RLE Lossless frame whose RLE header puts segment 2 at byte 5,461,404 of a 6,108-byte fragment:
    /// DCMTK 3.6.7's RLE decoder read there (SIGSEGV). The header is now checked before DCMTK decodes.
    func testRLEHeaderOutsideItsFragmentIsRefused() throws {
        let file = Self.regressions.appendingPathComponent("dicom/rle_segment_offset_outside_fragment.dcm").path
        TestData.assertError(.corruptFile, mentioning: "RLE segment 2", path: file) {
            _ = try VolumeReader.read(path: file)
        }
        // A valid RLE file still decodes to the same voxels as its uncompressed twin.
        let rle = try VolumeReader.read(path: TestData.sampleData.appendingPathComponent("dicom/MR_small_RLE.dcm").path)
        let plain = try VolumeReader.read(path: TestData.sampleData.appendingPathComponent("dicom/MR_small.dcm").path)
        XCTAssertEqual(rle.voxels, plain.voxels)
    }

    /// 40 kB JPEG 2000 file whose codestream declares a far larger image than Rows x Columns: OpenJPEG
    /// allocated ~1 GB for it (2 GB RSS under ASan). The codestream header is now checked against the
    /// DICOM header before OpenJPEG decodes.
    func testJPEG2000CodestreamLargerThanRowsColumnsIsRefusedBeforeDecoding() throws {
        assertRefusedQuickly("dicom/j2k_codestream_larger_than_rows_columns.dcm", mentioning: "Columns x Rows")
    }

    /// A fuzzed .npz whose member declares a ZIP64 compressed size above Int.max: converting it to Int
    /// trapped (`voxsam eval` exit 132). Now clamped.
    func testNPZWithZIP64SizeAboveIntMaxIsRefused() throws {
        let file = Self.regressions.appendingPathComponent("npz/zip64_compressed_size_above_int_max.npz").path
        // Reading every member no longer traps (the process used to die here); what is left is refused
        // as a volume with a message.
        do { _ = try NPZArchive.read(path: file) } catch { XCTAssertTrue(error is VoxSAMError, "\(error)") }
        XCTAssertThrowsError(try NPZVolume.read(path: file)) { e in XCTAssertTrue(e is VoxSAMError, "\(e)") }
        XCTAssertEqual(Gzip.maxInflatedSize(compressed: Int.max / 1032), Int.max, "no overflow near the top either")
    }

    /// A fuzzed 776-byte .npz whose last member's deflate stream does not end before the file does:
    /// ZIPFoundation's inflate loop kept reading 0 bytes at end of file forever (`voxsam info` hung,
    /// the npz fuzz target timed out). `ZipReader` reads exactly the member's compressed bytes.
    func testNPZWithDeflateStreamPastTheMemberEndIsRefusedQuickly() throws {
        assertRefusedQuickly("npz/deflate_stream_past_member_end_hang.npz", mentioning: "run past the end of the file",
                             read: { _ = try NPZArchive.read(path: $0) })
    }

    /// Stored and deflated members, ZIP64 extras as NumPy writes them, a CRC that does not match.
    func testZipReaderReadsNumPyArchivesAndChecksCRC() throws {
        let dir = try TestData.temporaryFolder(self)
        let file = dir.appendingPathComponent("a.npz").path
        try TestProcess.python("""
            import numpy as np, sys
            np.savez(sys.argv[1] + '.stored.npz', a=np.arange(12, dtype='<i2').reshape(3, 4))
            np.savez_compressed(sys.argv[1], a=np.arange(12, dtype='<i2').reshape(3, 4), b=np.ones(5))
            """, arguments: [file])
        for path in [file, file + ".stored.npz"] {
            let npz = try NPZArchive.read(path: path)
            XCTAssertEqual(npz["a"]?.shape, [3, 4], path)
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file + ".stored.npz"))
        let at = bytes.range(of: Data("NUMPY".utf8))!.upperBound + 130   // member a's data (its header is 128 bytes)
        bytes[at] ^= 0xFF
        let damaged = dir.appendingPathComponent("damaged.npz").path
        try bytes.write(to: URL(fileURLWithPath: damaged))
        TestData.assertError(.corruptFile, mentioning: "CRC-32", path: damaged) { _ = try NPZArchive.read(path: damaged) }
    }

    /// Two central-directory entries for one member (a bomb: the same bytes inflated again and again).
    func testZipEntriesSharingAMemberAreRefused() throws {
        let dir = try TestData.temporaryFolder(self)
        let file = dir.appendingPathComponent("twice.npz").path
        try TestProcess.python("""
            import sys, io, zipfile, numpy as np
            b = io.BytesIO(); np.save(b, np.zeros(10))
            with zipfile.ZipFile(sys.argv[1], 'w') as z:
                z.writestr('imgs.npy', b.getvalue())
            data = open(sys.argv[1], 'rb').read()
            cd = data.index(b'PK\\x01\\x02'); eocd = data.index(b'PK\\x05\\x06')
            entry = data[cd:eocd]
            tail = bytearray(data[eocd:])
            tail[8:10] = (2).to_bytes(2, 'little'); tail[10:12] = (2).to_bytes(2, 'little')
            tail[12:16] = (2 * len(entry)).to_bytes(4, 'little')
            open(sys.argv[1], 'wb').write(data[:cd] + entry + entry + bytes(tail))
            """, arguments: [file])
        TestData.assertError(.corruptFile, mentioning: "appears twice", path: file) { _ = try NPZArchive.read(path: file) }
    }

    /// Every volume-reader regression: read or refused, never a crash.
    func testEveryVolumeRegressionIsReadOrRefused() throws {
        var count = 0
        for target in ["nifti", "nrrd", "npz", "dicom"] {
            for url in files(target) {
                count += 1
                do {
                    _ = try VolumeReader.read(path: url.path, options: VolumeReadOptions(maxVoxels: 1 << 22))
                } catch is VoxSAMError {
                } catch {
                    XCTFail("\(target)/\(url.lastPathComponent): not a VoxSAMError: \(error)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(count, 1)
    }
}
