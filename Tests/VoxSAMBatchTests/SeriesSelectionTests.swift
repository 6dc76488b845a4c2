import Foundation
import XCTest
import VoxSAMCore
import VoxSAMJob
import VoxSAMProtocol
@testable import VoxSAMBatch

/// A study folder holding two DICOM series (the test batch's `two_series`): the protocol's
/// `series_description` or the prompts' `series` picks one; without either the study fails and says why.
final class SeriesSelectionTests: XCTestCase {
    typealias S = BatchTestSupport
    static let tinySeries = "1.2.826.0.1.3680043.2.1125.1.9881642883347102869241902700569139"

    func run(_ data: String, prompts: String, proto: SegmentationProtocol?, out: String) throws -> ManifestRecord {
        try S.write(prompts, to: data + "/series-prompts.csv")
        let c = BatchConfiguration(studiesDirectory: data + "/studies", outputDirectory: out,
                                   prompts: try PromptsFile.load(path: data + "/series-prompts.csv"), segmentationProtocol: proto,
                                   settings: BatchSettings(segmentation: JobSettings(), outputs: [.labelMap(.nifti)]),
                                   shard: .whole, jobs: 1, resume: false, modelSHA256: "test", modelFileName: "threshold")
        let r = try BatchRunner(config: c, model: ThresholdModel()).run()
        return try XCTUnwrap(r.merged.first { $0.study == "two_series" })
    }

    func testSeriesChosenByProtocolDescriptionOrPrompts() throws {
        let root = try S.temporaryFolder(self)
        let data = try S.realTestBatch(root)
        let proto = try SegmentationProtocol.parse("""
            name: tiny
            modality: CT
            window: abdomen
            series_description: 24x38
            structures:
              - {name: lesion, label: 1}
            """, path: "tiny.yaml")
        let header = "study,series,name,label,from_mask\n"
        let byProtocol = try run(data, prompts: header + "two_series,,lesion,1,masks/tiny24x38_label.nrrd\n", proto: proto, out: root + "/a")
        XCTAssertEqual(byProtocol.status, .done, byProtocol.error ?? "")
        XCTAssertEqual(byProtocol.series, Self.tinySeries)
        let byPrompts = try run(data, prompts: header + "two_series,\(Self.tinySeries),lesion,1,masks/tiny24x38_label.nrrd\n", proto: nil, out: root + "/b")
        XCTAssertEqual(byPrompts.status, .done, byPrompts.error ?? "")
        XCTAssertEqual(try S.digest(root + "/a"), try S.digest(root + "/b"))
        let neither = try run(data, prompts: header + "two_series,,lesion,1,masks/tiny24x38_label.nrrd\n", proto: nil, out: root + "/c")
        XCTAssertEqual(neither.status, .failed)
        XCTAssertTrue(neither.error?.contains(Self.tinySeries) == true, neither.error ?? "")
    }
}
