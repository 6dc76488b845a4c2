import Foundation
import XCTest
import VoxSAMCore
import VoxSAMIO
import VoxSAMModel
@testable import VoxSAMSegment

/// `--propagation reference` against the PyTorch reference segmentations (../shared/reference).
final class ParityTests: XCTestCase {
    /// Number of differing voxels (never print whole arrays).
    static func differing(_ a: VoxelBuffer, _ b: VoxelBuffer) -> Int {
        guard a.count == b.count else { return max(a.count, b.count) }
        var n = 0
        for i in 0..<a.count where a[i] != b[i] { n += 1 }
        return n
    }

    func runCase(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> SegmentationResult {
        let c = try SegmentTestSupport.referenceCase(name)
        let model = try SegmentTestSupport.model()
        let image = try NPZVolume.read(path: c.image)
        let prompts = try PromptSource.fromNPZ(path: c.image)
        let propagator = Propagator(model: LiteMedSAMSliceModel(model: model))
        let result = try propagator.run(image8: image, prompts: prompts)
        let reference = try NPZVolume.read(path: c.referenceSegs, array: "segs")
        var summary = "\(name):"
        for p in prompts {
            let d = SegmentTestSupport.dice(result.labelMap, reference, label: p.label)
            summary += String(format: " L%d %.4f", p.label, d)
            XCTAssertGreaterThanOrEqual(d, 0.995, "\(name) label \(p.label) Dice vs reference", file: file, line: line)
        }
        print(summary + " (encoder calls \(result.encoderCalls), \(String(format: "%.1f", result.seconds)) s)")
        return result
    }

    /// Committed in SampleData, so a fresh clone checks parity too (needs only the model).
    func testBrain2ParityFreshClone() throws {
        let r = try runCase("3DBox_MR_brain2")
        XCTAssertEqual(r.encoderCalls, 3)
    }

    func testCTTSsmallParity() throws { _ = try runCase("3DBox_CT_TSsmall") }
    func testMRTSsmallParity() throws { _ = try runCase("3DBox_MR_TSsmall") }
    func testBrain1Parity() throws { _ = try runCase("3DBox_MR_brain1") }

    /// The 6-object CT: one encoder pass per unique slice (20), not per object and slice (116).
    func testCTTSdicomParityAndEncoderCalls() throws {
        let r = try runCase("3DBox_CT_TSdicom")
        XCTAssertEqual(r.encoderCalls, 20)
        XCTAssertEqual(r.uniqueSlices, 20)
        XCTAssertEqual(r.objects.map(\.slices.count).reduce(0, +), 116)
    }

    /// The 6-object CT fed as its DICOM series (JPEG 2000, empty UIDs; windowed by VoxSAM from HU)
    /// with the same voxel boxes gives the .npz route's masks.
    func testDICOMRouteMatchesNPZRoute() throws {
        let c = try SegmentTestSupport.referenceCase("3DBox_CT_TSdicom")
        let folder = try SegmentTestSupport.sharedFile("data/A/TotalSegmentator/tests/reference_files/example_ct_dicom")
        let model = try SegmentTestSupport.model()
        let ct = try VolumeReader.read(path: folder)
        XCTAssertEqual(ct.metadata.modality, "CT")
        let image8 = Windowing.apply(Window.defaultWindow(for: ct), to: ct)
        let npzImage = try NPZVolume.read(path: c.image)
        XCTAssertEqual(image8.size, npzImage.size)
        let differingPixels = Self.differing(image8.voxels, npzImage.voxels)
        XCTAssertEqual(differingPixels, 0, "DICOM windowed with W400 L40 must equal the reference conversion")
        let prompts = try PromptSource.fromNPZ(path: c.image)
        let result = try Propagator(model: LiteMedSAMSliceModel(model: model)).run(image8: image8, prompts: prompts)
        let reference = try NPZVolume.read(path: c.referenceSegs, array: "segs")
        // The model input is byte-identical to the .npz route's, so the masks are too; against the
        // PyTorch reference, last-bit float differences may flip a voxel at the threshold.
        let differingVoxels = Self.differing(result.labelMap.voxels, reference.voxels)
        XCTAssertLessThanOrEqual(Double(differingVoxels) / Double(reference.voxels.count), 1e-4, "\(differingVoxels) voxels differ")
        XCTAssertEqual(result.labelMap.metadata.sliceReferences.count, 20)
    }

    /// The same CT as NIfTI (windowed by VoxSAM) with the same voxel boxes gives the .npz route's masks.
    func testNIfTIRouteMatchesNPZRoute() throws {
        let c = try SegmentTestSupport.referenceCase("3DBox_CT_TSsmall")
        let nifti = SegmentTestSupport.repoRoot.appendingPathComponent("SampleData/ct/example_ct_sm.nii.gz").path
        let model = try SegmentTestSupport.model()
        let ct = try NIfTIReader.read(path: nifti)
        // NIfTI has no modality: the default window recognises Hounsfield units (air at −1000).
        XCTAssertEqual(Window.defaultWindow(for: ct), .ctDefault)
        let ctImage8 = Windowing.apply(Window.defaultWindow(for: ct), to: ct)
        let prompts = try PromptSource.fromNPZ(path: c.image)
        let result = try Propagator(model: LiteMedSAMSliceModel(model: model)).run(image8: ctImage8, prompts: prompts)
        let reference = try NPZVolume.read(path: c.referenceSegs, array: "segs")
        guard case .uint8(let a) = result.labelMap.voxels, case .uint8(let b) = reference.voxels else { return XCTFail() }
        let differing = zip(a, b).filter { $0 != $1 }.count
        XCTAssertLessThanOrEqual(Double(differing) / Double(a.count), 0.0005, "NIfTI route differs from the npz reference on \(differing) voxels")
        XCTAssertTrue(result.labelMap.geometry.isSameGrid(as: ct.geometry))
    }
}
