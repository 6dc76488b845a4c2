import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMJob
import VoxSAMProtocol
import VoxSAMSegment

/// One model as `/info/` lists it: the generic one (any structure name, label 1) or a shipped
/// protocol (its structures, label values, window and propagation).
public struct ServedModel: Sendable {
    public var name: String
    public var segmentationProtocol: SegmentationProtocol?

    /// The generic model's name.
    public static let genericName = "voxsam"

    public var labels: [String: Int] {
        guard let p = segmentationProtocol else { return ["object": 1] }
        return Dictionary(p.structures.map { ($0.name, $0.label) }, uniquingKeysWith: { a, _ in a })
    }

    public var description: String {
        segmentationProtocol.map { "LiteMedSAM, box-prompted, protocol \($0.name): \($0.description)" }
            ?? "LiteMedSAM, box-prompted: any structure inside the ROI (label 1 unless params.label_value)"
    }
}

/// `params` of `POST /infer/{model}` as MONAI Label clients send it (JSON in a form field).
/// Unknown keys (`client_id`, `result_dtype`, …) are accepted and ignored, as MONAI Label does.
struct InferParams: Sendable {
    /// Inclusive voxel bounds, sorted: i0, j0, k0, i1, j1, k1.
    var roi: [Int]
    /// No `roi` was given: it is the foreground clicks' extent.
    var roiFromClicks: Bool
    var label: String?
    var labelValue: Int?
    var foreground: [[Int]]
    var background: Int
    var extensionName: String

    static let extensions = [".nii.gz", ".nii", ".nrrd"]

    init(json text: String?) throws {
        func fail(_ m: String) -> APIError { .badRequest("params: " + m) }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data((text ?? "{}").utf8)) } catch {
            throw fail("not valid JSON")
        }
        guard let d = object as? [String: Any] else { throw fail("must be a JSON object") }
        func whole(_ v: Any, _ what: String) throws -> Double {
            guard let n = v as? NSNumber, n.doubleValue.isFinite, abs(n.doubleValue) < 1e7 else {
                throw fail("\(what) must hold numbers")
            }
            return n.doubleValue
        }
        func points(_ key: String) throws -> [[Int]] {
            guard let p = d[key], !(p is NSNull) else { return [] }
            guard let list = p as? [Any], list.count <= 1000 else { throw fail("`\(key)` must be a list of [i, j, k] points") }
            return try list.map { item in
                guard let xyz = item as? [Any], xyz.count == 3 else { throw fail("`\(key)` must be a list of [i, j, k] points") }
                return try xyz.map { Int(try whole($0, "`\(key)`").rounded()) }
            }
        }
        foreground = try points("foreground")
        background = try points("background").count
        if let r = d["roi"], !(r is NSNull) {
            guard let a = r as? [Any], a.count == 6 else { throw fail("`roi` must be [i0, i1, j0, j1, k0, k1] (6 voxel indices)") }
            let v = try a.map { try whole($0, "`roi`") }
            // MONAI Label's ROI is min/max per axis, not sorted by its clients; fractions are rounded.
            roi = [0, 2, 4].map { Int(min(v[$0], v[$0 + 1]).rounded()) } + [0, 2, 4].map { Int(max(v[$0], v[$0 + 1]).rounded()) }
            roiFromClicks = false
        } else if foreground.count >= 2 {
            // Clients without a box tool (OHIF's point prompts): the clicks' extent is the box, e.g. two
            // clicks at opposite corners of the structure on its first and last slice.
            let clicks = foreground
            roi = (0..<3).map { n in clicks.map { $0[n] }.min()! } + (0..<3).map { n in clicks.map { $0[n] }.max()! }
            roiFromClicks = true
            // A box a few voxels wide is no prompt: the clicks must span the structure in-plane.
            let box = roi
            guard (0..<3).filter({ box[$0 + 3] - box[$0] >= 4 }).count >= 2 else {
                throw fail("the foreground clicks span less than 5 voxels in two directions: without a `roi`, their extent is the box, so click at opposite corners of the structure")
            }
        } else {
            throw fail("`roi` is required: VoxSAM segments the structure inside a 3D box ([i0, i1, j0, j1, k0, k1], voxels); "
                       + "without one, give at least two foreground clicks at opposite corners of the structure (their extent is the box)")
        }
        if let l = d["label"], !(l is NSNull) {
            guard let s = l as? String, !s.isEmpty, s.count <= 64 else { throw fail("`label` must be a structure name (1 to 64 characters)") }
            label = s
        }
        if let l = d["label_value"], !(l is NSNull) {
            let n = try whole(l, "`label_value`")
            guard n == n.rounded(), (1...255).contains(Int(n)) else { throw fail("`label_value` must be a whole number from 1 to 255") }
            labelValue = Int(n)
        }
        let ext = (d["result_extension"] as? String) ?? ".nii.gz"
        guard Self.extensions.contains(ext) else {
            throw fail("`result_extension` must be one of \(Self.extensions.joined(separator: ", "))")
        }
        extensionName = ext
    }
}

/// What one inference returns to the client.
struct InferReply: Sendable {
    var file: Data
    var filename: String
    var params: [String: any Sendable]
}

/// Runs `POST /infer/{model}` through the segmentation job (the one `voxsam segment` runs), on a
/// session's image and cached embeddings.
final class InferenceService<Model: SliceSegmentationModel>: @unchecked Sendable {
    let model: Model
    let modelName: String
    let precision: Precision
    let scratch: String

    init(model: Model, modelName: String, precision: Precision, scratch: String) {
        self.model = model; self.modelName = modelName; self.precision = precision; self.scratch = scratch
    }

    /// The object `params` asks for, on an image of `size` voxels.
    func object(_ p: InferParams, served: ServedModel, size: SIMD3<Int>, axis: SliceAxis) throws -> (ObjectSpec, notes: [String]) {
        var notes: [String] = []
        let lo = SIMD3(p.roi[0], p.roi[1], p.roi[2]), hi = SIMD3(p.roi[3], p.roi[4], p.roi[5])
        let last = size &- 1
        guard all(hi .>= SIMD3(repeating: 0)), all(lo .<= last) else {
            throw APIError.badRequest("params: \(p.roiFromClicks ? "the foreground clicks' extent" : "`roi`") [\(p.roi[0]), \(p.roi[3]), \(p.roi[1]), \(p.roi[4]), \(p.roi[2]), \(p.roi[5])] lies outside the image (\(size.x) x \(size.y) x \(size.z) voxels)")
        }
        let a = pointwiseMax(lo, .zero), b = pointwiseMin(hi, last)
        if a != lo || b != hi { notes.append("\(p.roiFromClicks ? "the clicks' extent" : "roi") clipped to the image") }
        var spec = ObjectSpec(box: [a.x, a.y, a.z, b.x, b.y, b.z])
        if p.roiFromClicks { notes.append("no roi: the box is the extent of the \(p.foreground.count) foreground clicks") }
        if let proto = served.segmentationProtocol {
            let wanted = p.label ?? (proto.structures.count == 1 ? proto.structures[0].name : nil)
            guard let w = wanted, let s = proto.structure(named: w) else {
                throw APIError.badRequest("params: `label` must name one of model \(served.name)'s structures: \(proto.structures.map(\.name).joined(separator: ", "))")
            }
            spec.name = s.name
            spec.label = s.label
        } else {
            spec.name = p.label ?? "object"
            spec.label = p.labelValue ?? 1
        }
        // Foreground clicks pick the start slice (clicks are not model prompts: LiteMedSAM's boxes
        // are; see notes/model.md). The first click inside the ROI's slices decides.
        let n = axis.axis
        if let click = p.foreground.first(where: { (a[n]...b[n]).contains($0[n]) }) {
            spec.keySlice = click[n]
            if p.foreground.count > 1, !p.roiFromClicks { notes.append("\(p.foreground.count - 1) further foreground clicks ignored (the first picks the start slice)") }
        } else if !p.foreground.isEmpty {
            notes.append("foreground clicks outside the ROI's slices ignored")
        }
        if p.background > 0 { notes.append("\(p.background) background clicks ignored (VoxSAM is box-prompted)") }
        return (spec, notes)
    }

    /// Segments on the session's image (read once, then kept) and returns the label map file.
    func infer(_ p: InferParams, served: ServedModel, session: Session, path: String) throws -> InferReply {
        let started = Date()
        var readSeconds = 0.0
        if session.volume == nil {
            do { session.volume = try VolumeReader.read(path: path, options: VolumeReadOptions()) } catch let e as VoxSAMError {
                throw APIError(e, name: "the image")
            }
            readSeconds = Date().timeIntervalSince(started)
        }
        guard let volume = session.volume else { throw APIError(500, "the image could not be kept") }
        let proto = served.segmentationProtocol
        let settings: JobSettings
        do { settings = try JobSettings.resolve(precision: precision, protocol: proto) } catch let e as VoxSAMError { throw APIError(e, name: "the image") }
        let (spec, notes) = try object(p, served: served, size: volume.geometry.size, axis: settings.axis)
        let folder = "\(scratch)/\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = "\(folder)/label\(p.extensionName)"
        let plan = OutputPlan(labelMaps: [.init(format: p.extensionName == ".nrrd" ? .nrrd : .nifti, path: output)])
        do {
            let job = SegmentationJob(model: model, settings: settings, protocol: proto, modelName: modelName)
            job.cache = session.cache
            var input = JobInput(path: path, objects: [spec], origin: "params.roi", displayName: "image")
            input.volume = volume
            let prepared = try job.prepare(input, plan: plan)
            let result = try job.segment(prepared)
            _ = try job.write(result, plan: plan)
            let file = try Data(contentsOf: URL(fileURLWithPath: output))
            let r = result.result
            let o = result.report.objects.first
            var params: [String: any Sendable] = [
                "label_names": Dictionary(prepared.objects.map { ($0.name, $0.label) }, uniquingKeysWith: { a, _ in a }),
                "encoded_slices": r.encoderCalls,
                "cached_slices": r.cacheHits ?? 0,
                "slices": o?.slicesSegmented ?? 0,
                "volume_ml": o?.volumeML ?? 0,
                "mean_iou": Double(o?.meanIoU ?? 0),
                "min_iou": Double(o?.minIoU ?? 0),
                "low_confidence_slices": o?.lowConfidenceSlices ?? [],
                "suggested_slices": o?.suggestedSlices ?? [],
                "start_slice": o?.keySlice ?? 0,
                "window": prepared.window.text,
                "model": served.name,
                "latencies": ["read": readSeconds, "infer": r.seconds, "total": Date().timeIntervalSince(started)],
            ]
            if !notes.isEmpty { params["notes"] = notes }
            return InferReply(file: file, filename: "label\(p.extensionName)", params: params)
        } catch let e as VoxSAMError {
            throw APIError(e, name: "the image")
        }
    }
}
