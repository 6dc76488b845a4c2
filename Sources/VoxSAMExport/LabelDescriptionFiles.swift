#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VoxSAMCore
import VoxSAMProtocol

/// Label names for label maps that carry none (NIfTI, plain NRRD, npz): two sidecar files next to the
/// label map, named after its stem (the name without `.nii.gz`, `.nii`, `.seg.nrrd`, `.nrrd`, `.nhdr`,
/// `.hdr`, `.img`, `.npz`, `.mha`, `.mhd`, else without its last extension):
///
///     liver.nii.gz  →  liver.labels.json    (VoxSAM label description, schema below)
///                      liver.itksnap.txt    (ITK-SNAP label description file: Segmentation → Label Editor → Import)
///
/// `<stem>.labels.json` (not `<stem>.json`, which BIDS and dcm2niix use for acquisition sidecars):
///
///     {
///       "format": "voxsam-labels",           // always this string
///       "version": 1,                         // incremented only for incompatible changes; keys are only added
///       "labelMap": "liver.nii.gz",           // file name of the label map, same folder
///       "background": 0,                      // voxels with this value belong to no label
///       "labels": [ {                         // sorted by label value
///           "label": 1,                       // voxel value, 1…65535
///           "name": "liver",                  // display name (DICOM SegmentLabel, RTSTRUCT ROI name, Slicer segment name)
///           "color": [221, 130, 101],         // RGB 0…255
///           "category": {"scheme": "SCT", "value": "123037004", "meaning": "Anatomical Structure"},
///           "type": {"scheme": "SCT", "value": "10200004", "meaning": "Liver"},
///           "typeModifier": {...},            // only when known (e.g. SCT 7771000 Left)
///           "anatomicRegion": {...}           // only when known
///       } ]
///     }
///
/// The ITK-SNAP file is byte-for-byte the layout ITK-SNAP's ColorLabelTable::SaveToFile writes:
/// its 14-line header, then `IDX -R- -G- -B- -A-- VIS MSH "LABEL"` rows, label 0 "Clear Label" first,
/// alpha 1, visible in 2D and 3D. Double quotes in names become single quotes (ITK-SNAP reads a name up
/// to the next double quote) and line breaks become spaces.
/// Both files are written under temporary names and renamed only when both are complete.
public enum LabelDescriptionFiles {
    /// The two sidecar paths of a label map.
    public struct Paths: Sendable, Equatable {
        public var json: String
        public var itksnap: String
    }

    /// One row of an ITK-SNAP label description file.
    public struct ITKSNAPLabel: Sendable, Equatable {
        public var label: Int
        public var name: String
        public var color: RGB
        public var alpha: Double
        public var visible: Bool
        public var meshVisible: Bool
    }

    /// Extensions stripped to get the stem, longest first.
    /// The sidecar paths for `labelMapPath` (nothing is checked or written).
    public static func paths(besides labelMapPath: String) -> Paths {
        let p = OutputFormat.sidecarPaths(besides: labelMapPath)
        return Paths(json: p.json, itksnap: p.itksnap)
    }

    /// Writes `<stem>.labels.json` and `<stem>.itksnap.txt` next to `labelMapPath` and returns their paths.
    @discardableResult
    public static func write(segments: [SegmentDescription], besides labelMapPath: String) throws -> Paths {
        let p = paths(besides: labelMapPath)
        let sorted = try validate(segments, path: p.json)
        let json = try jsonData(segments: sorted, labelMapName: URL(fileURLWithPath: labelMapPath).lastPathComponent, path: p.json)
        let snap = Data(itksnapText(segments: sorted).utf8)
        // Both files join the caller's output group (or commit together here).
        try OutputGroup.commit { _ in
            try AtomicWrite.write(json, to: p.json)
            try AtomicWrite.write(snap, to: p.itksnap)
        }
        return p
    }

    // MARK: - Validation (shared with SlicerSegmentationNRRD)

    /// Checks label values (1…65535, unique) and names (non-empty); returns the segments sorted by label.
    static func validate(_ segments: [SegmentDescription], path: String) throws -> [SegmentDescription] {
        var seen: [Int: String] = [:]
        for s in segments {
            try LabelValue.check(s.label, "segment \"\(s.name)\"", path: path)
            if let other = seen[s.label] {
                throw VoxSAMError(.invalidArgument, "label \(s.label) is described twice (\"\(other)\" and \"\(s.name)\"); give each segment its own label value", path: path)
            }
            guard !s.name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw VoxSAMError(.invalidArgument, "segment with label \(s.label) has an empty name; give it a name", path: path)
            }
            seen[s.label] = s.name
        }
        return segments.sorted { $0.label < $1.label }
    }

    // MARK: - JSON

    struct Code: Codable, Equatable {
        var scheme: String, value: String, meaning: String
        init(_ c: CodedConcept) { scheme = c.scheme; value = c.value; meaning = c.meaning }
        var concept: CodedConcept { CodedConcept(value, scheme, meaning) }
    }

    struct Entry: Codable, Equatable {
        var label: Int
        var name: String
        var color: [Int]
        var category: Code
        var type: Code
        var typeModifier: Code?
        var anatomicRegion: Code?
    }

    struct Document: Codable, Equatable {
        var format: String
        var version: Int
        var labelMap: String
        var background: Int
        var labels: [Entry]
    }

    static func jsonData(segments: [SegmentDescription], labelMapName: String, path: String) throws -> Data {
        let doc = Document(format: "voxsam-labels", version: 1, labelMap: labelMapName, background: 0, labels: segments.map { s in
            Entry(label: s.label, name: s.name, color: [Int(s.color.r), Int(s.color.g), Int(s.color.b)],
                  category: Code(s.category), type: Code(s.type), typeModifier: s.typeModifier.map(Code.init),
                  anatomicRegion: s.anatomicRegion.map(Code.init))
        })
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return try enc.encode(doc) + Data("\n".utf8) } catch {
            throw VoxSAMError(.internal, "could not encode the label description: \(error)", path: path)
        }
    }

    /// Reads a `<stem>.labels.json` back into segment descriptions (sorted by label).
    public static func readJSON(path: String) throws -> [SegmentDescription] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VoxSAMError(.notFound, "the label description file cannot be read", path: path)
        }
        let doc: Document
        do { doc = try JSONDecoder().decode(Document.self, from: data) } catch {
            throw VoxSAMError(.corruptFile, "not a VoxSAM label description (\(error)); expected {\"format\": \"voxsam-labels\", \"version\": 1, \"labels\": [...]}", path: path)
        }
        guard doc.format == "voxsam-labels", doc.version == 1 else {
            throw VoxSAMError(.unsupportedFormat, "label description format \(doc.format) version \(doc.version) is not supported (expected voxsam-labels version 1)", path: path)
        }
        let segments = try doc.labels.map { e -> SegmentDescription in
            guard e.color.count == 3, e.color.allSatisfy({ (0...255).contains($0) }) else {
                throw VoxSAMError(.corruptFile, "label \(e.label): color must be three integers 0…255", path: path)
            }
            return SegmentDescription(label: e.label, name: e.name, color: RGB(UInt8(e.color[0]), UInt8(e.color[1]), UInt8(e.color[2])),
                                      category: e.category.concept, type: e.type.concept,
                                      anatomicRegion: e.anatomicRegion?.concept, typeModifier: e.typeModifier?.concept)
        }
        return try validate(segments, path: path)
    }

    // MARK: - ITK-SNAP

    /// The ITK-SNAP label description text (label 0 "Clear Label" first, then `segments` in order).
    static func itksnapText(segments: [SegmentDescription]) -> String {
        // ITK-SNAP's header, trailing spaces included.
        let header = [
            "################################################",
            "# ITK-SnAP Label Description File",
            "# File format: ",
            "# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL",
            "# Fields: ",
            "#    IDX:   Zero-based index ",
            "#    -R-:   Red color component (0..255)",
            "#    -G-:   Green color component (0..255)",
            "#    -B-:   Blue color component (0..255)",
            "#    -A-:   Label transparency (0.00 .. 1.00)",
            "#    VIS:   Label visibility (0 or 1)",
            "#    IDX:   Label mesh visibility (0 or 1)",
            "#  LABEL:   Label description ",
            "################################################",
        ]
        var s = header.joined(separator: "\n") + "\n"
        func pad(_ v: Int, _ width: Int) -> String {
            let t = String(v)
            return String(repeating: " ", count: max(0, width - t.count)) + t
        }
        func row(_ idx: Int, _ c: RGB, alpha: Int, vis: Int, _ name: String) -> String {
            "  " + pad(idx, 3) + "   " + pad(Int(c.r), 3) + "  " + pad(Int(c.g), 3) + "  " + pad(Int(c.b), 3)
                + "  " + pad(alpha, 7) + "  " + String(vis) + "  " + String(vis) + "    \"" + name + "\"\n"
        }
        s += row(0, RGB(0, 0, 0), alpha: 0, vis: 0, "Clear Label")
        for seg in segments {
            let name = seg.name.replacingOccurrences(of: "\"", with: "'")
                .replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
            s += row(seg.label, seg.color, alpha: 1, vis: 1, name)
        }
        return s
    }

    /// Reads an ITK-SNAP label description file (the rows, label 0 included when present).
    public static func readITKSNAP(path: String) throws -> [ITKSNAPLabel] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VoxSAMError(.notFound, "the ITK-SNAP label file cannot be read", path: path)
        }
        var out: [ITKSNAPLabel] = []
        for (n, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let q1 = line.firstIndex(of: "\"") else {
                throw VoxSAMError(.corruptFile, "ITK-SNAP label line \(n + 1) has no quoted label name: \(line)", path: path)
            }
            let fields = line[..<q1].split(whereSeparator: { $0 == " " || $0 == "\t" })
            let rest = line[line.index(after: q1)...]
            let name = rest.firstIndex(of: "\"").map { String(rest[..<$0]) } ?? String(rest)
            guard fields.count == 7, let idx = Int(fields[0]), let r = UInt8(fields[1]), let g = UInt8(fields[2]),
                  let b = UInt8(fields[3]), let a = Double(fields[4]), let vis = Int(fields[5]), let msh = Int(fields[6]) else {
                throw VoxSAMError(.corruptFile, "ITK-SNAP label line \(n + 1) is not `IDX R G B A VIS MSH \"LABEL\"`: \(line)", path: path)
            }
            out.append(ITKSNAPLabel(label: idx, name: name, color: RGB(r, g, b), alpha: a, visible: vis != 0, meshVisible: msh != 0))
        }
        return out
    }
}
