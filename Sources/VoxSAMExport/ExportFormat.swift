import VoxSAMCore

/// What `voxsam export --to` and `voxsam segment --output-format` write.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// NIfTI label map (.nii.gz/.nii) with a sidecar JSON and an ITK-SNAP label description file.
    case nifti
    /// NRRD label map (.nrrd) with the same sidecars.
    case nrrd
    /// CVPR24-style .npz (`segs`, `spacing`).
    case npz
    /// 3D Slicer segmentation (.seg.nrrd): named, coloured, coded segments.
    case segNRRD = "seg-nrrd"
    /// DICOM Segmentation (BINARY), referencing the source DICOM series.
    case dicomSEG = "dicom-seg"
    /// DICOM RT Structure Set: closed planar contours on the source DICOM series.
    case rtstruct

    /// The format an output path implies: .seg.nrrd, .nrrd, .nii(.gz), .npz, .dcm (DICOM SEG).
    public static func implied(by path: String) -> ExportFormat? {
        let p = path.lowercased()
        if p.hasSuffix(".seg.nrrd") { return .segNRRD }
        if p.hasSuffix(".nrrd") || p.hasSuffix(".nhdr") { return .nrrd }
        if p.hasSuffix(".nii") || p.hasSuffix(".nii.gz") { return .nifti }
        if p.hasSuffix(".npz") { return .npz }
        if p.hasSuffix(".dcm") { return .dicomSEG }
        return nil
    }

    /// The explicit format if given (checked against the extension), else the implied one.
    public static func resolve(_ explicit: String?, output: String) throws -> ExportFormat {
        let implied = implied(by: output)
        guard let explicit else {
            guard let implied else {
                throw VoxSAMError(.invalidArgument, "cannot tell the output format from the extension; use .nii.gz, .nii, .nrrd, .seg.nrrd, .npz or .dcm (DICOM SEG), or give --output-format (\(allNames))", path: output)
            }
            return implied
        }
        guard let f = ExportFormat(rawValue: explicit.lowercased()) else {
            throw VoxSAMError(.invalidArgument, "unknown output format `\(explicit)`; use one of \(allNames)")
        }
        let ext = output.lowercased()
        let fits: Bool = switch f {
        case .nifti: ext.hasSuffix(".nii") || ext.hasSuffix(".nii.gz")
        case .nrrd: (ext.hasSuffix(".nrrd") && !ext.hasSuffix(".seg.nrrd")) || ext.hasSuffix(".nhdr")
        case .segNRRD: ext.hasSuffix(".seg.nrrd")
        case .npz: ext.hasSuffix(".npz")
        case .dicomSEG, .rtstruct: ext.hasSuffix(".dcm")
        }
        guard fits else {
            throw VoxSAMError(.invalidArgument, "output format \(f.rawValue) needs a file name ending in \(f.extensions.joined(separator: " or "))", path: output)
        }
        return f
    }

    public var extensions: [String] {
        switch self {
        case .nifti: [".nii.gz", ".nii"]
        case .nrrd: [".nrrd"]
        case .segNRRD: [".seg.nrrd"]
        case .npz: [".npz"]
        case .dicomSEG, .rtstruct: [".dcm"]
        }
    }

    /// DICOM SEG and RTSTRUCT reference the source instances: they need the DICOM series.
    public var needsDICOMSource: Bool { self == .dicomSEG || self == .rtstruct }

    static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
