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

    /// The objects on `volume` (read from `imagePath`), with the protocol applied and every box checked.
    public func resolve(_ specs: [ObjectSpec], volume: Volume, imagePath: String, axis: SliceAxis) throws -> [ObjectPrompt] {
        let proto = segmentationProtocol
        var objects: [ObjectPrompt] = []
        if specs.isEmpty {
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
            // Label: given, else the protocol's for the name, else the object's position.
            func label(default d: Int) -> Int { spec.label ?? spec.name.flatMap { proto?.structure(named: $0)?.label } ?? d }
            func name(_ l: Int, default d: String) -> String { spec.name ?? proto?.structure(label: l)?.name ?? d }
            if let b = spec.box {
                let l = label(default: n + 1)
                objects.append(ObjectPrompt(name: name(l, default: "object\(n + 1)"), label: l, box: VoxelBox(b), keySlice: spec.keySlice, color: color))
            } else if let mm = spec.boxMM {
                let l = label(default: n + 1)
                let box = try PromptSource.box(fromMillimetres: mm, geometry: volume.geometry, what: what)
                let object = ObjectPrompt(name: name(l, default: "object\(n + 1)"), label: l, box: box, keySlice: spec.keySlice, color: color)
                do { try object.validate(size: volume.size) } catch let e as VoxSAMError {
                    // Coordinates copied from a RAS viewer (3D Slicer, nibabel) have x and y negated.
                    let ras = [-mm[0], -mm[1], mm[2], -mm[3], -mm[4], mm[5]]
                    var flipped = object
                    flipped.box = try PromptSource.box(fromMillimetres: ras, geometry: volume.geometry, what: what)
                    if (try? flipped.validate(size: volume.size)) != nil {
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
                for i in found.indices { found[i].keySlice = spec.keySlice; found[i].color = color }
                objects += found
            }
        }
        if let proto { objects = try ProtocolPrompts.apply(proto, to: objects, warn: warn) }
        try PromptSource.validate(objects, size: volume.size, axis: axis.axis)
        return objects
    }

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
