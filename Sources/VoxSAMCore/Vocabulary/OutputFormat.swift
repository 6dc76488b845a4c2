import Foundation

/// The one table of the label-map formats VoxSAM writes: extensions, what each needs, which files
/// come with it. `convert`, `segment -o`, `export --to`, batch `--outputs` and protocol `outputs:`
/// all decide formats and file names here.
public enum OutputFormat: String, CaseIterable, Sendable, Codable {
    /// NIfTI-1 label map (`.nii.gz`, `.nii`, or a `.hdr` + `.img` pair) with label sidecars.
    case nifti
    /// NRRD label map (`.nrrd`, `.nhdr` + detached data) with label sidecars.
    case nrrd
    /// CVPR24-style `.npz` (`segs`, `spacing`).
    case npz
    /// 3D Slicer segmentation (`.seg.nrrd`): named, coloured, coded segments.
    case segNRRD = "seg-nrrd"
    /// DICOM Segmentation (BINARY), referencing the source DICOM series.
    case dicomSEG = "dicom-seg"
    /// DICOM RT Structure Set: closed planar contours on the source DICOM series.
    case rtstruct

    /// File name endings, the preferred first.
    public var extensions: [String] {
        switch self {
        case .nifti: [".nii.gz", ".nii", ".hdr"]
        case .nrrd: [".nrrd", ".nhdr"]
        case .npz: [".npz"]
        case .segNRRD: [".seg.nrrd"]
        case .dicomSEG, .rtstruct: [".dcm"]
        }
    }

    /// DICOM SEG and RTSTRUCT reference the source instances: they need the DICOM series.
    public var needsDICOMSource: Bool { self == .dicomSEG || self == .rtstruct }

    /// A plain voxel array (written by the volume writers, also by `voxsam convert` for images).
    public var isVolume: Bool { self == .nifti || self == .nrrd || self == .npz }

    /// Label maps that carry `NAME.labels.json` + `NAME.itksnap.txt` (names, colours, codes) beside them.
    public var hasLabelSidecars: Bool { self == .nifti || self == .nrrd }

    /// The file name inside a batch study's output folder.
    public var studyFileName: String {
        switch self {
        case .nifti: "labels.nii.gz"
        case .nrrd: "labels.nrrd"
        case .npz: "labels.npz"
        case .segNRRD: "labels.seg.nrrd"
        case .dicomSEG: "seg.dcm"
        case .rtstruct: "rtstruct.dcm"
        }
    }

    /// The format a path's extension implies (`.dcm` = DICOM SEG; `.seg.nrrd` before `.nrrd`).
    public static func implied(by path: String) -> OutputFormat? {
        let p = path.lowercased()
        // Longest ending first, so `.seg.nrrd` is not taken for `.nrrd`.
        let endings = allCases.flatMap { f in f.extensions.map { (f, $0) } }.sorted { $0.1.count > $1.1.count }
        return endings.first { p.hasSuffix($0.1) && p.count > $0.1.count }?.0
    }

    /// Every accepted ending, for messages.
    public static var allExtensions: String {
        var seen = Set<String>()
        return allCases.flatMap(\.extensions).filter { seen.insert($0).inserted }.joined(separator: ", ") + " (.dcm = DICOM SEG)"
    }

    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The explicit format if given (checked against the extension), else the implied one.
    public static func resolve(_ explicit: String?, output: String) throws -> OutputFormat {
        let implied = implied(by: output)
        guard let explicit else {
            guard let implied else {
                throw VoxSAMError(.invalidArgument, "cannot tell the output format from the extension; use \(allExtensions), or give --output-format (\(allNames))", path: output)
            }
            return implied
        }
        guard let f = OutputFormat(rawValue: explicit.lowercased()) else {
            throw VoxSAMError(.invalidArgument, "unknown output format `\(explicit)`; use one of \(allNames)")
        }
        guard f.extensions.contains(where: { output.lowercased().hasSuffix($0) }),
              implied == f || (f == .rtstruct && implied == .dicomSEG) else {
            throw VoxSAMError(.invalidArgument, "output format \(f.rawValue) needs a file name ending in \(f.extensions.joined(separator: " or "))", path: output)
        }
        return f
    }

    /// A volume output (`convert`): NIfTI, NRRD or `.npz` by extension; anything else is refused with
    /// one message.
    public static func volume(for path: String) throws -> OutputFormat {
        guard let f = implied(by: path), f.isVolume || f == .segNRRD else {
            throw VoxSAMError(.unsupportedFormat, "unknown output extension: use \(OutputFormat.allCases.filter(\.isVolume).flatMap(\.extensions).joined(separator: ", "))", path: path)
        }
        return f == .segNRRD ? .nrrd : f
    }

    /// The files written for `path` besides itself: the `.img` of a `.hdr` pair, the data file of
    /// a `.nhdr`, and the label sidecars when `labelSidecars` is set.
    public func companions(of path: String, labelSidecars: Bool) -> [String] {
        var out: [String] = []
        let lower = path.lowercased()
        if self == .nifti, lower.hasSuffix(".hdr") { out.append(String(path.dropLast(4)) + (path.hasSuffix(".HDR") ? ".IMG" : ".img")) }
        if labelSidecars && hasLabelSidecars {
            let s = OutputFormat.sidecarPaths(besides: path)
            out += [s.json, s.itksnap]
        }
        return out
    }

    /// `<stem>.labels.json` and `<stem>.itksnap.txt` beside a label map.
    public static func sidecarPaths(besides labelMapPath: String) -> (json: String, itksnap: String) {
        let name = (labelMapPath as NSString).lastPathComponent
        var stem = name
        let known = allCases.flatMap(\.extensions) + [".img", ".mha", ".mhd"]
        if let ext = known.sorted(by: { $0.count > $1.count }).first(where: { name.lowercased().hasSuffix($0) && name.count > $0.count }) {
            stem = String(name.dropLast(ext.count))
        } else if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            stem = String(name[..<dot])
        }
        let dir = (labelMapPath as NSString).deletingLastPathComponent
        return ((dir as NSString).appendingPathComponent(stem + ".labels.json"), (dir as NSString).appendingPathComponent(stem + ".itksnap.txt"))
    }
}

/// One output of a batch study (or a protocol's `outputs:`): a label-map format, or a report.
public enum StudyOutput: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    case labelMap(OutputFormat)
    case confidenceJSON
    case confidenceCSV
    case qaPNG

    public static let allCases: [StudyOutput] = OutputFormat.allCases.map { .labelMap($0) } + [.confidenceJSON, .confidenceCSV, .qaPNG]

    /// Written when neither the command line nor a protocol lists outputs.
    public static let defaults: [StudyOutput] = [.labelMap(.nifti), .confidenceJSON, .qaPNG]

    public var rawValue: String {
        switch self {
        case .labelMap(let f): f.rawValue
        case .confidenceJSON: "confidence-json"
        case .confidenceCSV: "confidence-csv"
        case .qaPNG: "qa-png"
        }
    }

    public init?(rawValue: String) {
        guard let o = StudyOutput.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = o
    }

    /// Parses one name; the error lists every output.
    public static func parse(_ text: String) throws -> StudyOutput {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let o = StudyOutput(rawValue: t) else {
            throw VoxSAMError(.invalidArgument, "`\(text)` is not an output: use \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return o
    }

    public var description: String { rawValue }

    /// The file name inside a study's output folder.
    public var fileName: String {
        switch self {
        case .labelMap(let f): f.studyFileName
        case .confidenceJSON: "confidence.json"
        case .confidenceCSV: "confidence.csv"
        case .qaPNG: "qa.png"
        }
    }

    public var labelMapFormat: OutputFormat? { if case .labelMap(let f) = self { f } else { nil } }

    public static func < (a: StudyOutput, b: StudyOutput) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    public init(from decoder: any Decoder) throws {
        self = try StudyOutput.parse(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
