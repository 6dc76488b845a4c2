import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol
import VoxSAMSegment

/// `voxsam refine`: an earlier result — its JSON confidence report, which records the image, the
/// settings, the model and every object's prompts and per-slice boxes, and its label map — with
/// changes: key boxes added, changed or removed, objects added, replaced or removed. The job runs
/// with the report's settings on the same image and model (both checked) and computes only slices
/// whose result can change (`RefinePlan`); the result equals a `voxsam segment` run with the changed
/// prompts.
public struct Refinement: Sendable {
    /// A key box to remove: the object's name and the slice.
    public struct RemovedKeyBox: Sendable, Equatable {
        public var object: String
        public var slice: Int
        public init(object: String, slice: Int) { self.object = object; self.slice = slice }

        /// `NAME:SLICE` (the name may hold colons).
        public static func parse(_ text: String) throws -> RemovedKeyBox {
            guard let colon = text.lastIndex(of: ":"), let slice = Int(text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)),
                  colon != text.startIndex else {
                throw VoxSAMError(.invalidArgument, "--remove-key-box `\(text)` must be NAME:SLICE (e.g. liver:42)")
            }
            return RemovedKeyBox(object: String(text[..<colon]), slice: slice)
        }
    }

    public let report: ConfidenceReport
    public let reportPath: String

    /// Reads and checks the report (version 2 or later, with everything a refinement needs).
    public init(reportPath: String) throws {
        self.reportPath = reportPath
        report = try ConfidenceReport.read(path: reportPath)
        try check()
    }

    private func fail(_ message: String) -> VoxSAMError { VoxSAMError(.invalidArgument, message, path: reportPath) }

    private func check() throws {
        guard report.version >= 2, report.imageSHA256 != nil, report.modelIdentity != nil, report.window != nil else {
            throw fail("this confidence report (version \(report.version)) lacks what a refinement needs (image hash, model identity, window): it was written by an older VoxSAM, or as CSV; run `voxsam segment` again with --confidence FILE.json")
        }
        guard !report.objects.isEmpty else { throw fail("the report lists no objects") }
        let axis = try SliceAxis.parse(report.axis).axis
        var names = Set<String>()
        for (n, o) in report.objects.enumerated() {
            let at = "objects[\(n)] (`\(o.name)`)"
            guard names.insert(o.name).inserted else { throw fail("\(at): two objects have this name") }
            guard o.box.count == 6, o.box.allSatisfy({ abs($0) < 1 << 40 }), o.box[axis] <= o.box[axis + 3] else {
                throw fail("\(at): box must be six voxel indices x0,y0,z0,x1,y1,z1")
            }
            let range = o.box[axis]...o.box[axis + 3]
            guard !o.slices.isEmpty else { throw fail("\(at): no slice records") }
            for r in o.slices where !range.contains(r.slice) {
                throw fail("\(at): slice record \(r.slice) lies outside the box's slice range \(range.lowerBound)…\(range.upperBound)")
            }
            if let c = o.color, c.count != 3 || !c.allSatisfy({ (0...255).contains($0) }) { throw fail("\(at): color must be [r, g, b] with values 0…255") }
            if let b = o.intensityBand, b.count != 2 || !(0...255).contains(b[0]) || !(b[0]...255).contains(b[1]) {
                throw fail("\(at): intensity_band must be [lo, hi] with 0 <= lo <= hi <= 255")
            }
            if let p = LabelValue.problem(o.label) { throw fail("\(at): label: \(p)") }
            guard o.slices.allSatisfy({ $0.boxModel.count == 4 && $0.boxModel.allSatisfy(\.isFinite) }) else {
                throw fail("\(at): every slice record needs a box_model of four finite numbers")
            }
            guard Set(o.slices.map(\.slice)).count == o.slices.count else { throw fail("\(at): a slice is recorded twice") }
            guard o.slices[0].slice == o.keySlice else { throw fail("\(at): the first slice record is not the key slice \(o.keySlice)") }
        }
    }

    /// The settings the earlier run used.
    public func settings() throws -> JobSettings {
        let r = report
        guard let propagation = PropagationMode(rawValue: r.propagation) else { throw fail("unknown propagation `\(r.propagation)`") }
        return JobSettings(window: try r.window.map(Window.parse), propagation: propagation, axis: try SliceAxis.parse(r.axis),
                           lowConfidence: r.lowConfidenceThreshold, precision: try r.precision.map(Precision.parse) ?? .fp32)
    }

    /// The protocol the earlier run used (by name; `override` when the report names one that is not shipped).
    public func segmentationProtocol(override: String? = nil) throws -> SegmentationProtocol? {
        try (override ?? report.protocolName).map(ProtocolLibrary.resolve)
    }

    /// The image: as given, else the report's `input` (relative to the working folder).
    public func input(path: String?, readOptions: VolumeReadOptions, objects: [ObjectSpec], keyBoxes: [NamedKeyBox],
                      removedKeyBoxes: [RemovedKeyBox], removedObjects: [String]) throws -> JobInput {
        var options = readOptions
        if options.series == nil { options.series = report.series }
        var earlier = report.objects.map(\.earlier.prompt)
        let names = earlier.map(\.name)
        for name in removedObjects {
            guard let i = earlier.firstIndex(where: { $0.name == name }) else {
                throw VoxSAMError(.invalidArgument, "--remove \(name): the earlier result has no object named `\(name)` (objects: \(names.joined(separator: ", ")))")
            }
            earlier.remove(at: i)
        }
        for r in removedKeyBoxes {
            guard let i = earlier.firstIndex(where: { $0.name == r.object }) else {
                throw VoxSAMError(.invalidArgument, "--remove-key-box \(r.object):\(r.slice): the earlier result has no object named `\(r.object)` (objects: \(names.joined(separator: ", ")))")
            }
            guard let k = earlier[i].keyBoxes.firstIndex(where: { $0.slice == r.slice }) else {
                let has = earlier[i].keyBoxes.map { String($0.slice) }
                throw VoxSAMError(.invalidArgument, "--remove-key-box \(r.object):\(r.slice): object `\(r.object)` has no key box on slice \(r.slice)\(has.isEmpty ? " (it has none)" : " (it has key boxes on slices \(has.joined(separator: ", ")))")")
            }
            earlier[i].keyBoxes.remove(at: k)
        }
        // A key box on a slice that already holds one replaces it.
        for k in keyBoxes {
            if let i = earlier.firstIndex(where: { $0.name == k.object }) { earlier[i].keyBoxes.removeAll { $0.slice == k.keyBox.slice } }
        }
        var input = JobInput(path: path ?? report.input, readOptions: options, objects: objects, origin: "refine", keyBoxes: keyBoxes)
        input.earlierObjects = earlier
        return input
    }

    /// Checks that `prepared` is the image the earlier result was made from (same windowed voxels).
    public func checkImage(_ prepared: PreparedJob) throws {
        guard ConfidenceReport.imageHash(prepared.image8) == report.imageSHA256 else {
            throw VoxSAMError(.invalidArgument, "this is not the image the earlier result was made from (its windowed voxels differ; the report records \(report.input)\(report.series.map { ", series \($0)" } ?? ""), window \(report.window ?? "?"))", path: prepared.input.path)
        }
    }

    /// Checks that `identity` (the loaded model's `embeddingIdentity`) is the one the earlier result used.
    public func checkModel(_ identity: String?, path: String) throws {
        guard identity == report.modelIdentity else {
            throw VoxSAMError(.invalidArgument, "the earlier result was made with another checkpoint or precision (\(report.modelIdentity ?? "?"); this model: \(identity ?? "unknown")); refine with the same model", path: path)
        }
    }

    /// The earlier label map's path: `override`, else the first label map the report lists that
    /// VoxSAM reads back (NIfTI, NRRD, CVPR24 .npz), beside the report.
    public func labelMapPath(override: String?) throws -> String {
        if let o = override { return o }
        let folder = URL(fileURLWithPath: reportPath).deletingLastPathComponent()
        let readable = (report.labelMaps ?? []).filter { m in
            let l = m.lowercased()
            return [".nii", ".nii.gz", ".nrrd", ".nhdr", ".npz"].contains { l.hasSuffix($0) } && !l.hasSuffix(".seg.nrrd")
        }
        guard let m = readable.first else {
            throw fail("the report lists no label map VoxSAM can read back (NIfTI, NRRD or .npz: \((report.labelMaps ?? []).joined(separator: ", "))); give it with --labels")
        }
        return m.hasPrefix("/") ? m : folder.appendingPathComponent(m).path
    }

    /// The earlier run on `prepared`'s grid: the label map at `path`, checked against the report
    /// (each object's voxel count, no other labels).
    public func earlierRun(labelMap path: String, prepared: PreparedJob) throws -> EarlierRun {
        var map: Volume
        if try VolumeReader.format(of: path) == .npz {
            let npz = try NPZArchive.read(path: path)
            guard let a = npz["segs"] else { throw VoxSAMError(.corruptFile, "the .npz holds no `segs` label array", path: path) }
            map = try NPZVolume.volume(a, name: "segs", archive: npz, path: path)
            if map.size == prepared.image8.size { map.geometry = prepared.image8.geometry }
        } else {
            map = try VolumeReader.read(path: path)
        }
        map = try LabelMapAlignment.align(map, onto: prepared.image8.geometry, reference: "image", labelMapPath: path)
        var counts: [Int: Int] = [:]
        for n in 0..<map.geometry.voxelCount {
            let v = map.voxels[n]
            guard v != 0 else { continue }
            guard v == v.rounded(), (1...65535).contains(v) else {
                throw VoxSAMError(.invalidArgument, "not a label map: voxel value \(v) (labels are whole numbers 1…65535)", path: path)
            }
            counts[Int(v), default: 0] += 1
        }
        let expected = Dictionary(report.objects.map { ($0.label, $0.voxels) }, uniquingKeysWith: { a, _ in a })
        for (label, count) in counts.sorted(by: { $0.key < $1.key }) where expected[label] != count {
            throw VoxSAMError(.invalidArgument, "this label map does not belong to the report \((reportPath as NSString).lastPathComponent): label \(label) has \(count) voxels, the report says \(expected[label].map(String.init) ?? "no such label")", path: path)
        }
        for (label, count) in expected where count > 0 && counts[label] == nil {
            throw VoxSAMError(.invalidArgument, "this label map does not belong to the report \((reportPath as NSString).lastPathComponent): label \(label) is missing (the report says \(count) voxels)", path: path)
        }
        return EarlierRun(labelMap: map, objects: report.objects.map(\.earlier))
    }
}
