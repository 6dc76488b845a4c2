import Foundation
import VoxSAMCore
import VoxSAMExport
import VoxSAMIO
import VoxSAMProtocol
import VoxSAMSegment

/// The one place where objects as given (`ObjectSpec`s, a CVPR24 `.npz`'s `boxes`, a protocol's
/// names and labels) become boxes on a volume, for every entry point.
public struct PromptResolver {
    public var segmentationProtocol: SegmentationProtocol?
    /// Where the objects were given, for messages (`--box`, `prompts.csv:4`, …).
    public var origin: String
    /// A `from_mask` path as given → the file to read (relative paths: the prompts file's folder, or
    /// the working folder on the command line).
    public var maskPath: (String) -> String
    /// Protocol notes (colours replaced) the caller shows.
    public var warn: (String) -> Void

    public init(protocol proto: SegmentationProtocol?, origin: String, maskPath: @escaping (String) -> String = { $0 },
                warn: @escaping (String) -> Void = { _ in }) {
        segmentationProtocol = proto; self.origin = origin; self.maskPath = maskPath; self.warn = warn
    }

    /// The objects on `volume` (read from `imagePath`), with the protocol applied, `named` key boxes
    /// (`--key-box NAME:…`) attached by object name, and every box checked. `earlier`: objects already
    /// on this volume (`voxsam refine`), listed first; a spec of the same name replaces one.
    public func resolve(_ specs: [ObjectSpec], volume: Volume, imagePath: String, axis: SliceAxis,
                        named: [NamedKeyBox] = [], earlier: [ObjectPrompt] = []) throws -> [ObjectPrompt] {
        let proto = segmentationProtocol
        var objects: [ObjectPrompt] = []
        if specs.isEmpty && earlier.isEmpty {
            guard origin != "refine" else {
                throw VoxSAMError(.invalidArgument, "refine: every object was removed; nothing to segment (add objects with --prompts)")
            }
            guard (try? VolumeReader.format(of: imagePath)) == .npz else {
                throw VoxSAMError(.invalidArgument, "\(origin): no objects to segment; give boxes (--box), box_mm (--box-mm), --prompts or from_mask (only a CVPR24 .npz brings its own boxes)", path: imagePath)
            }
            objects = try PromptSource.fromNPZ(path: imagePath).map { o in
                var o = o
                if let s = proto?.structure(label: o.label) { o.name = s.name }
                return o
            }
        }
        var masks: [String: Volume] = [:]
        for (n, spec) in specs.enumerated() {
            let what = "\(origin): object \(spec.name.map { "`\($0)`" } ?? String(n + 1))"
            try spec.check { field, message in VoxSAMError(.invalidArgument, "\(what): \(field): \(message)") }
            let color = spec.color.map { RGB(UInt8($0[0]), UInt8($0[1]), UInt8($0[2])) }
            let keyBoxes = try (spec.keyBoxes ?? []).map { try keyBox($0, volume: volume, axis: axis, what: what) }
            // Label: given, else the protocol's for the name, else the object's position.
            func label(default d: Int) -> Int { spec.label ?? spec.name.flatMap { proto?.structure(named: $0)?.label } ?? d }
            func name(_ l: Int, default d: String) -> String { spec.name ?? proto?.structure(label: l)?.name ?? d }
            // A box, a mm box or key boxes make one object, numbered by its position.
            let l = label(default: n + 1), objectName = name(l, default: "object\(n + 1)")
            if let b = spec.box {
                objects.append(ObjectPrompt(name: objectName, label: l, box: VoxelBox(b), keySlice: spec.keySlice, color: color, keyBoxes: keyBoxes))
            } else if spec.boxMM == nil && spec.fromMask == nil {
                // Key boxes alone: the object spans their slices, starting from the one nearest the middle.
                objects.append(Self.object(fromKeyBoxes: keyBoxes, name: objectName, label: l, axis: axis, keySlice: spec.keySlice, color: color))
            } else if let mm = spec.boxMM {
                let box = try PromptSource.box(fromMillimetres: mm, geometry: volume.geometry, what: what)
                let object = ObjectPrompt(name: objectName, label: l, box: box, keySlice: spec.keySlice, color: color, keyBoxes: keyBoxes)
                // The box alone decides the RAS hint (its key boxes are checked with every object below).
                var boxOnly = object
                boxOnly.keyBoxes = []
                do { try boxOnly.validate(size: volume.size, axis: axis.axis) } catch let e as VoxSAMError {
                    // Coordinates copied from a RAS viewer (3D Slicer, nibabel) have x and y negated.
                    let ras = [-mm[0], -mm[1], mm[2], -mm[3], -mm[4], mm[5]]
                    var flipped = boxOnly
                    guard let box = try? PromptSource.box(fromMillimetres: ras, geometry: volume.geometry, what: what) else { throw e }
                    flipped.box = box
                    if (try? flipped.validate(size: volume.size, axis: axis.axis)) != nil {
                        throw VoxSAMError(e.code, e.message + "; box_mm is LPS millimetres (DICOM, ITK) — read as RAS (3D Slicer, nibabel), i.e. with x and y negated (\(ras.map { String(format: "%g", $0) }.joined(separator: ","))), it would lie inside", path: e.path)
                    }
                    throw e
                }
                objects.append(object)
            } else if let m = spec.fromMask {
                let path = maskPath(m)
                let mask: Volume
                if let cached = masks[path] { mask = cached } else {
                    // One grid rule for every label map: the image's grid, axis order and flips allowed.
                    mask = try LabelMapAlignment.align(try VolumeReader.read(path: path), onto: volume.geometry, reference: "image", labelMapPath: path)
                    masks[path] = mask
                }
                var found = try PromptSource.fromLabelMap(mask, only: spec.maskLabel.map { [$0] })
                if found.count == 1, spec.label != nil || spec.name != nil {
                    found[0].label = label(default: found[0].label)
                    found[0].name = name(found[0].label, default: found[0].name)
                } else {
                    let described = try maskLabelNames(path)
                    for i in found.indices {
                        found[i].name = proto?.structure(label: found[i].label)?.name ?? described[found[i].label] ?? found[i].name
                    }
                }
                if !keyBoxes.isEmpty && found.count != 1 {
                    throw VoxSAMError(.invalidArgument, "\(what): key_boxes with from_mask need one object: give mask_label (the mask holds \(found.count) labels)")
                }
                for i in found.indices { found[i].keySlice = spec.keySlice; found[i].color = color; found[i].keyBoxes = keyBoxes }
                objects += found
            }
        }
        if let proto { objects = try ProtocolPrompts.apply(proto, to: objects, warn: warn) }
        // An object given again under an earlier name takes that object's place (the order decides overlaps).
        if !earlier.isEmpty {
            let given = objects
            objects = earlier.map { e in given.first { $0.name == e.name } ?? e } + given.filter { o in !earlier.contains { $0.name == o.name } }
        }
        for k in named {
            guard let i = objects.firstIndex(where: { $0.name == k.object }) else {
                throw VoxSAMError(.invalidArgument, "--key-box \(k.object):\(k.keyBox.slice): there is no object named `\(k.object)` (objects: \(objects.map(\.name).joined(separator: ", ")))")
            }
            objects[i].keyBoxes.append(k.keyBox)
        }
        try PromptSource.validate(objects, size: volume.size, axis: axis.axis)
        return objects
    }

    /// A key box as given → slice and in-plane voxel box (box_mm: the corners' nearest voxels).
    func keyBox(_ s: ObjectSpec.KeyBoxSpec, volume: Volume, axis: SliceAxis, what: String) throws -> KeyBox {
        if let b = s.box, let slice = s.slice { return KeyBox(slice: slice, box: b) }
        guard let mm = s.boxMM, mm.count == 6 else {   // `ObjectSpec.check` admits nothing else
            throw VoxSAMError(.invalidArgument, "\(what): key box: give box with slice, or box_mm")
        }
        let (a, b) = try PromptSource.continuousIndices(mm, geometry: volume.geometry, what: "\(what): key box")
        let (c, r) = (axis.columnAxis, axis.rowAxis)
        let index = { (v: Double) throws -> Int in try PromptSource.voxelIndex(v, what: "\(what): key box \(mm.map { String(format: "%g", $0) }.joined(separator: ","))") }
        let slice = try s.slice ?? index(a[axis.axis] / 2 + b[axis.axis] / 2)
        let box = try [min(a[c], b[c]), min(a[r], b[r]), max(a[c], b[c]), max(a[r], b[r])].map(index)
        return KeyBox(slice: slice, box: box)
    }

    /// An object given by key boxes alone: its 3D box covers them (in-plane union, their slice range)
    /// and propagation starts from the key box nearest the middle of that range.
    static func object(fromKeyBoxes boxes: [KeyBox], name: String, label: Int, axis: SliceAxis, keySlice: Int?, color: RGB?) -> ObjectPrompt {
        let valid = boxes.filter { $0.box.count == 4 }
        let lo = valid.map(\.slice).min() ?? 0, hi = valid.map(\.slice).max() ?? 0
        var v = [0, 0, 0, 0, 0, 0]
        v[axis.columnAxis] = valid.map { $0.box[0] }.min() ?? 0
        v[axis.rowAxis] = valid.map { $0.box[1] }.min() ?? 0
        v[axis.axis] = lo
        v[3 + axis.columnAxis] = valid.map { $0.box[2] }.max() ?? 0
        v[3 + axis.rowAxis] = valid.map { $0.box[3] }.max() ?? 0
        v[3 + axis.axis] = hi
        let middle = Double(lo) / 2 + Double(hi) / 2
        let start = keySlice ?? valid.map(\.slice).min { abs(Double($0) - middle) < abs(Double($1) - middle) } ?? lo
        return ObjectPrompt(name: name, label: label, box: VoxelBox(v), keySlice: start, color: color, keyBoxes: boxes)
    }
}

/// A key box for an object named on the command line: `--key-box NAME:k:x0,y0,x1,y1`.
public struct NamedKeyBox: Sendable, Equatable {
    public var object: String
    public var keyBox: KeyBox

    public init(object: String, keyBox: KeyBox) {
        self.object = object
        self.keyBox = keyBox
    }

    /// `NAME:k:x0,y0,x1,y1` (the name may itself hold colons).
    public static func parse(_ text: String) throws -> NamedKeyBox {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, let slice = Int(parts[parts.count - 2].trimmingCharacters(in: .whitespaces)) else {
            throw VoxSAMError(.invalidArgument, "--key-box `\(text)` must be NAME:SLICE:x0,y0,x1,y1 (e.g. liver:42:100,80,180,160)")
        }
        let name = parts[0..<(parts.count - 2)].joined(separator: ":")
        guard !name.isEmpty else { throw VoxSAMError(.invalidArgument, "--key-box `\(text)`: the object name is empty") }
        return NamedKeyBox(object: name, keyBox: KeyBox(slice: slice, box: try KeyBox.parsePlane(parts[parts.count - 1], what: "--key-box \(name):\(slice)")))
    }
}

extension PromptResolver {
    /// Label names from the mask's own sidecar — `NAME.labels.json` (VoxSAM, or any tool writing that
    /// format), else `NAME.itksnap.txt` (ITK-SNAP label descriptions) — or none.
    func maskLabelNames(_ maskPath: String) throws -> [Int: String] {
        let side = LabelDescriptionFiles.paths(besides: maskPath)
        if FileManager.default.fileExists(atPath: side.json) {
            return Dictionary(try LabelDescriptionFiles.readJSON(path: side.json).map { ($0.label, $0.name) }, uniquingKeysWith: { a, _ in a })
        }
        if FileManager.default.fileExists(atPath: side.itksnap) {
            return Dictionary(try LabelDescriptionFiles.readITKSNAP(path: side.itksnap).filter { $0.label > 0 }.map { ($0.label, $0.name) },
                              uniquingKeysWith: { a, _ in a })
        }
        return [:]
    }
}
