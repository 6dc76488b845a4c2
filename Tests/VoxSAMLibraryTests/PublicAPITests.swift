import Foundation
import VoxSAM
import XCTest

/// Uses only `import VoxSAM` (no @testable, no internal modules): the README's library example.
final class PublicAPITests: XCTestCase {
    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testJobSegmentsTheSampleCTThroughThePublicAPI() throws {
        let job: SegmentationJob<LiteMedSAMSliceModel>
        do { job = try VoxSAM.job() } catch let e as VoxSAMError where e.code == .model {
            if ProcessInfo.processInfo.environment["CI"] == "true" { throw e }
            throw XCTSkip("the LiteMedSAM checkpoint is not installed (voxsam model fetch): \(e)")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let ct = Self.repository.appendingPathComponent("SampleData/ct/example_ct_sm.nii.gz").path
        let labels = out.appendingPathComponent("liver.nii.gz").path
        let (result, written) = try job.run(
            JobInput(path: ct, objects: [ObjectSpec(name: "liver", box: [44, 25, 10, 105, 83, 18])]),
            plan: OutputPlan(labelMaps: [.init(format: .nifti, path: labels)], confidence: [out.appendingPathComponent("c.json").path]))
        XCTAssertEqual(result.report.objects.map(\.name), ["liver"])
        XCTAssertGreaterThan(result.report.objects[0].voxels, 1000)
        XCTAssertEqual(result.report.window, "400,40")
        XCTAssertTrue(written.files.contains(labels))
        XCTAssertTrue(written.files.contains { $0.hasSuffix("liver.labels.json") })
        let back = try VolumeReader.read(path: labels)
        XCTAssertEqual(back.size, result.result.labelMap.size)
    }
}
