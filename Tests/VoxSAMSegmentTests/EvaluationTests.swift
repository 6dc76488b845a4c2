import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
@testable import VoxSAMSegment

final class EvaluationTests: XCTestCase {
    struct Summary: Decodable {
        struct Metrics: Decodable {
            struct PerLabel: Decodable { var dsc: Double; var nsd: Double; var gt_voxels: Int; var seg_voxels: Int }
            var dsc: Double
            var nsd: Double
            var per_label: [String: PerLabel]?
        }
        var metrics: Metrics
    }

    /// DSC/NSD of the reference segmentations against ground truth reproduce the reference summaries.
    func testReproducesReferenceSummaries() throws {
        var ran = 0
        for name in ["3DBox_MR_brain2", "3DBox_MR_brain1", "3DBox_CT_TSsmall", "3DBox_MR_TSsmall", "3DBox_CT_TSdicom"] {
            guard let c = try? SegmentTestSupport.referenceCase(name) else { continue }
            let summary = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: URL(fileURLWithPath: c.summary)))
            let gts = try NPZVolume.read(path: c.gts, array: "gts")
            var segs = try NPZVolume.read(path: c.referenceSegs, array: "segs")
            segs.geometry = gts.geometry
            let r = try Evaluation.evaluate(prediction: segs, groundTruth: gts)
            XCTAssertEqual(r.dsc, summary.metrics.dsc, accuracy: 1e-3, name)
            XCTAssertEqual(r.nsd, summary.metrics.nsd, accuracy: 1e-3, name)
            if let per = summary.metrics.per_label {
                for s in r.perLabel {
                    guard let e = per[String(s.label)] else { continue }
                    XCTAssertEqual(s.dsc, e.dsc, accuracy: 1e-3, "\(name) label \(s.label)")
                    XCTAssertEqual(s.nsd, e.nsd, accuracy: 1e-3, "\(name) label \(s.label)")
                    XCTAssertEqual(s.gtVoxels, e.gt_voxels)
                    XCTAssertEqual(s.segVoxels, e.seg_voxels)
                }
            }
            print(String(format: "%@: DSC %.4f (reference %.4f), NSD %.4f (reference %.4f)", name, r.dsc, summary.metrics.dsc, r.nsd, summary.metrics.nsd))
            ran += 1
        }
        XCTAssertGreaterThan(ran, 0)
    }

    func testDistanceTransformIsExact() {
        // Two points on an anisotropic grid: brute force vs the transform.
        let grid = SIMD3(7, 5, 4), sp = SIMD3(0.5, 1.5, 3.0)
        let pts = [(1 * 5 + 2) * 7 + 3, (3 * 5 + 4) * 7 + 6]
        let d = Evaluation.squaredDistance(to: pts, grid: grid, spacing: sp)
        for k in 0..<4 { for j in 0..<5 { for i in 0..<7 {
            var best = Double.infinity
            for p in pts {
                let pi = p % 7, pj = (p / 7) % 5, pk = p / 35
                let dx = Double(i - pi) * sp.x, dy = Double(j - pj) * sp.y, dz = Double(k - pk) * sp.z
                best = min(best, dx * dx + dy * dy + dz * dz)
            }
            XCTAssertEqual(d[(k * 5 + j) * 7 + i], best, accuracy: 1e-9)
        } } }
    }

    func testDifferentGridsAreRefused() {
        let a = Volume(geometry: Geometry(size: SIMD3(2, 2, 2)), voxels: .uint8([0, 1, 0, 1, 0, 1, 0, 1]))
        let b = Volume(geometry: Geometry(size: SIMD3(2, 2, 1)), voxels: .uint8([0, 1, 0, 1]))
        XCTAssertThrowsError(try Evaluation.evaluate(prediction: a, groundTruth: b)) { e in
            XCTAssertEqual((e as? VoxSAMError)?.code, .geometry)
        }
    }
}
