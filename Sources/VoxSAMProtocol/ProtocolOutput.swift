/// An output a protocol asks `voxsam batch` to write for each study.
///
/// Label maps (`nifti`, `nrrd`, `npz`), the confidence report and the QA picture are written by
/// VoxSAM's own writers; `seg-nrrd`, `dicom-seg` and `rtstruct` go through the exporter
/// (VoxSAMExport), which also needs the structures' names, colours and codes from the protocol.
public enum ProtocolOutput: String, Sendable, Codable, CaseIterable, Comparable {
    case nifti
    case nrrd
    case npz
    case segNRRD = "seg-nrrd"
    case dicomSEG = "dicom-seg"
    case rtstruct
    case confidenceJSON = "confidence-json"
    case confidenceCSV = "confidence-csv"
    case qaPNG = "qa-png"

    /// Written when a protocol has no `outputs:`.
    public static let defaults: [ProtocolOutput] = [.nifti, .confidenceJSON, .qaPNG]

    /// The file name inside a study's output folder.
    public var fileName: String {
        switch self {
        case .nifti: "labels.nii.gz"
        case .nrrd: "labels.nrrd"
        case .npz: "labels.npz"
        case .segNRRD: "labels.seg.nrrd"
        case .dicomSEG: "seg.dcm"
        case .rtstruct: "rtstruct.dcm"
        case .confidenceJSON: "confidence.json"
        case .confidenceCSV: "confidence.csv"
        case .qaPNG: "qa.png"
        }
    }

    /// A plain label map VoxSAM's volume writers produce (no exporter needed).
    public var isLabelMap: Bool { self == .nifti || self == .nrrd || self == .npz }

    /// Needs the exporter (DICOM SEG, RTSTRUCT, Slicer .seg.nrrd).
    public var needsExporter: Bool { self == .segNRRD || self == .dicomSEG || self == .rtstruct }

    public static func < (a: ProtocolOutput, b: ProtocolOutput) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
