import Foundation
import VoxSAMIO
import VoxSAMModel
import VoxSAMSegment

/// `voxsam-bench --segment CASE.npz`: a whole 3D case with `--propagation reference` — wall time,
/// encoder calls vs unique slices, ms per encoded slice, peak RSS — beside the PyTorch reference
/// (which encodes every slice again for every object).
func runSegmentBenchmark(casePath: String, model: LiteMedSAM) throws -> [String: Any] {
    let t0 = Date()
    let image = try NPZVolume.read(path: casePath)
    let prompts = try PromptSource.fromNPZ(path: casePath)
    let sliceModel = LiteMedSAMSliceModel(model: model)
    let result = try Propagator(model: sliceModel).run(image8: image, prompts: prompts)
    let wall = Date().timeIntervalSince(t0)
    let segmented = result.objects.map(\.slices.count).reduce(0, +)
    var out: [String: Any] = [
        "case": URL(fileURLWithPath: casePath).deletingPathExtension().lastPathComponent,
        "shape_dhw": [image.size.z, image.size.y, image.size.x],
        "objects": prompts.count,
        "slices_segmented": segmented,
        "encoder_calls": result.encoderCalls,
        "unique_slices": result.uniqueSlices,
        "wall_s": (wall * 100).rounded() / 100,
        "ms_per_encoded_slice": (wall * 1000 / Double(max(result.encoderCalls, 1))).rounded(),
        "peak_rss_mb": (peakRSSMB() * 10).rounded() / 10,
    ]
    // The PyTorch reference on this hardware (../shared/reference/README.md §4).
    let reference: [String: (wall: Double, calls: Int)] = [
        "3DBox_CT_TSdicom": (143, 116), "3DBox_CT_TSsmall": (204, 160), "3DBox_MR_TSsmall": (120, 97),
        "3DBox_MR_brain1": (7.5, 7), "3DBox_MR_brain2": (3.2, 3),
    ]
    if let r = reference[out["case"] as! String] {
        out["reference_wall_s"] = r.wall
        out["reference_encoder_calls"] = r.calls
        out["wall_vs_reference"] = ((wall / r.wall) * 1000).rounded() / 1000
    }
    return out
}
