import Foundation
import XCTest
import VoxSAMTestSupport
import VoxSAMCore
@testable import VoxSAMIO

/// Bad input is refused with a VoxSAMError that names the file and the problem. Uses the
/// committed SampleData/dicom files, so it runs in a fresh clone.
final class DICOMBadInputTests: XCTestCase {
    func testTruncatedFileIsCorrupt() {
        let path = DICOMTestSupport.sample("MR_truncated.dcm")
        TestData.assertError(.corruptFile, mentioning: "truncated", "PixelData (7fe0,0010)", path: path) {
            _ = try DICOMReader.read(path: path)
        }
        TestData.assertError(.corruptFile, mentioning: "truncated", path: path) { _ = try DICOMReader.listSeries(path: path) }
    }

    func testNonImageDICOMIsRefused() {
        let path = DICOMTestSupport.sample("rtstruct.dcm")
        TestData.assertError(.unsupportedData, mentioning: "not an image", "RTStructureSetStorage", "PixelData (7FE0,0010)", path: path) {
            _ = try DICOMReader.read(path: path)
        }
    }

    func testColourImageIsRefused() {
        let path = DICOMTestSupport.sample("SC_rgb_rle.dcm")
        TestData.assertError(.unsupportedData, mentioning: "colour", "SamplesPerPixel (0028,0002) = 3", "RGB", path: path) {
            _ = try DICOMReader.read(path: path)
        }
        // Listing still shows it, with the reason.
        let series = try? DICOMReader.listSeries(path: path)
        XCTAssertEqual(series?.count, 1)
        XCTAssertTrue(series?.first?.problem?.contains("colour") == true)
    }

    func testNotDICOMFileAndMissingPath() throws {
        let folder = try temporaryFolder()
        let text = folder.appendingPathComponent("notes.dcm").path
        try "not a DICOM file at all, but long enough to have a preamble? no.".padding(toLength: 300, withPad: "x", startingAt: 0)
            .write(toFile: text, atomically: true, encoding: .utf8)
        TestData.assertError(.unsupportedFormat, mentioning: "not a DICOM file", path: text) { _ = try DICOMReader.read(path: text) }
        let missing = folder.appendingPathComponent("absent").path
        TestData.assertError(.notFound, mentioning: "no such file", path: missing) { _ = try DICOMReader.read(path: missing) }
    }

    func testFolderWithoutImages() throws {
        let empty = try temporaryFolder()
        TestData.assertError(.unsupportedFormat, mentioning: "no DICOM images", path: empty.path) { _ = try DICOMReader.read(path: empty.path) }
        TestData.assertError(.unsupportedFormat, mentioning: "no DICOM images", path: empty.path) { _ = try DICOMReader.listSeries(path: empty.path) }

        let folder = try temporaryFolder()
        try Data("hello".utf8).write(to: folder.appendingPathComponent("readme.txt"))
        try FileManager.default.copyItem(atPath: DICOMTestSupport.sample("rtstruct.dcm"), toPath: folder.appendingPathComponent("rs.dcm").path)
        TestData.assertError(.unsupportedData, mentioning: "no DICOM images", "1 not DICOM", "RTStructureSetStorage", path: folder.path) {
            _ = try DICOMReader.read(path: folder.path)
        }
        let inventory = try DICOMReader.inventory(path: folder.path)
        XCTAssertTrue(inventory.series.isEmpty)
        XCTAssertEqual(inventory.nonDICOMFileCount, 1)
        XCTAssertEqual(inventory.nonImageFiles.count, 1)
    }

    /// Non-DICOM files are skipped silently and counted; unreadable DICOM files become a warning.
    func testFolderSkipsOtherFiles() throws {
        let folder = try temporaryFolder()
        let sub = folder.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: DICOMTestSupport.sample("CT_small.dcm"), toPath: sub.appendingPathComponent("IM1").path)
        try FileManager.default.copyItem(atPath: DICOMTestSupport.sample("rtstruct.dcm"), toPath: folder.appendingPathComponent("rs.dcm").path)
        try FileManager.default.copyItem(atPath: DICOMTestSupport.sample("MR_truncated.dcm"), toPath: folder.appendingPathComponent("bad.dcm").path)
        try Data("{}".utf8).write(to: folder.appendingPathComponent("meta.json"))
        try Data(repeating: 0, count: 10).write(to: folder.appendingPathComponent(".hidden"))

        let inventory = try DICOMReader.inventory(path: folder.path)
        XCTAssertEqual(inventory.series.count, 1)
        XCTAssertEqual(inventory.nonDICOMFileCount, 1)
        XCTAssertEqual(inventory.nonImageFiles.map { ($0.path as NSString).lastPathComponent }, ["rs.dcm"])
        XCTAssertEqual(inventory.unreadableFiles.map { ($0.path as NSString).lastPathComponent }, ["bad.dcm"])
        XCTAssertTrue(inventory.unreadableFiles[0].message.contains("truncated"))

        let volume = try DICOMReader.read(path: folder.path)
        XCTAssertEqual(volume.metadata.modality, "CT")
        XCTAssertTrue(volume.metadata.warnings.contains { $0.contains("bad.dcm") && $0.contains("truncated") }, "\(volume.metadata.warnings)")
    }

    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-dicom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
