import Foundation
import VoxSAMCore
import VoxSAMJob
import VoxSAMSegment

/// The `refine-report` harness: a confidence report as `voxsam refine` reads it (Refinement's checks),
/// then the refinement itself — RefinePlan and propagation replaying the report's records — on a small
/// synthetic image with `BoxModel`, so that hostile records reach the plan and the sweeps.
enum RefineHarness {
    static let size = SIMD3(16, 16, 12)

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let path = TempFiles.write(bytes, name: "report.json")
        guard let refinement = try? Refinement(reportPath: path), let settings = try? refinement.settings() else { return }
        var pixels = [UInt8](repeating: 0, count: size.x * size.y * size.z)
        for n in pixels.indices { pixels[n] = UInt8(truncatingIfNeeded: n &* 37) }
        let image = Volume(geometry: Geometry(size: size), voxels: .uint8(pixels))
        let earlier = refinement.report.objects.map(\.earlier)
        var prompts = earlier.map(\.prompt)
        // A change: the first object's first key box removed, or one added on its start slice's neighbour.
        if !prompts[0].keyBoxes.isEmpty {
            prompts[0].keyBoxes.removeFirst()
        } else if let k = prompts[0].keySlice {
            prompts[0].keyBoxes.append(KeyBox(slice: k + 1, box: [1, 1, 6, 6]))
        }
        var settingsP = Propagator<BoxModel>.Settings()
        settingsP.mode = settings.propagation
        settingsP.axis = settings.axis
        let propagator = Propagator(model: BoxModel(), settings: settingsP)
        let labels = image.emptyLabelMap(maxLabel: earlier.map(\.prompt.label).max() ?? 1)
        _ = try? propagator.run(image8: image, prompts: prompts, earlier: EarlierRun(labelMap: labels, objects: earlier))
    }
}

/// A stand-in for LiteMedSAM: the mask is the box (in slice pixels), the predicted IoU follows the pixels.
final class BoxModel: SliceSegmentationModel {
    func embed(_ slice: [UInt8], height: Int, width: Int) -> (slice: [UInt8], height: Int, width: Int) { (slice, height, width) }

    func predict(_ e: (slice: [UInt8], height: Int, width: Int), box: SIMD4<Float>) -> (logits: [Float], iou: Float) {
        var logits = [Float](repeating: -5, count: e.height * e.width)
        guard box.x.isFinite, box.y.isFinite, box.z.isFinite, box.w.isFinite else { return (logits, 0) }
        let x0 = max(0, Int(max(-1e6, min(1e6, box.x)))), y0 = max(0, Int(max(-1e6, min(1e6, box.y))))
        let x1 = min(e.width - 1, Int(max(-1e6, min(1e6, box.z)))), y1 = min(e.height - 1, Int(max(-1e6, min(1e6, box.w))))
        var sum = 0
        if x0 <= x1, y0 <= y1 {
            for r in y0...y1 { for c in x0...x1 { logits[r * e.width + c] = 5; sum += Int(e.slice[r * e.width + c]) } }
        }
        return (logits, Float(sum % 100) / 100)
    }

    func modelBox(fromPixels box: SIMD4<Int>, height: Int, width: Int) -> SIMD4<Float> {
        SIMD4(Float(box[0]), Float(box[1]), Float(box[2]), Float(box[3]))
    }

    func modelBox(fromMask mask: [UInt8], height: Int, width: Int) -> SIMD4<Float>? {
        var x0 = width, y0 = height, x1 = -1, y1 = -1
        for r in 0..<height { for c in 0..<width where mask[r * width + c] != 0 { x0 = min(x0, c); x1 = max(x1, c); y0 = min(y0, r); y1 = max(y1, r) } }
        return x1 < 0 ? nil : SIMD4(Float(x0), Float(y0), Float(x1), Float(y1))
    }

    var logitThreshold: Float { 0 }

    func pixelBox(fromModelBox box: SIMD4<Float>, height: Int, width: Int) -> SIMD4<Double> {
        SIMD4(Double(box[0]), Double(box[1]), Double(box[2]), Double(box[3]))
    }
}
