import VoxSAMCore
import VoxSAMExport
import VoxSAMProtocol

/// The one place where a protocol's export outputs (`seg-nrrd`, `dicom-seg`, `rtstruct`) are
/// written, through VoxSAMExport's `Exporter`. Segment names, colours and codes come from
/// `SegmentCatalog` (the protocol, else the built-in terminology by name).
///
/// DICOM SEG and RTSTRUCT need a DICOM study (they reference its instances); for other studies
/// they fail that study with the exporter's message. They get new UIDs each time they are written,
/// so unlike the other outputs they are not byte-identical between runs.
enum ExportHook {
    static func format(_ output: ProtocolOutput) -> ExportFormat {
        switch output {
        case .segNRRD: .segNRRD
        case .dicomSEG: .dicomSEG
        case .rtstruct: .rtstruct
        case .nifti: .nifti
        case .nrrd: .nrrd
        case .npz: .npz
        case .confidenceJSON, .confidenceCSV, .qaPNG: preconditionFailure("\(output.rawValue) is not an export")
        }
    }

    /// Writes `output` for one study. `source` is the study's image grid and DICOM metadata.
    static func write(_ output: ProtocolOutput, labelMap: Volume, study: String, source: Volume, sourcePath: String,
                      segments: [SegmentDescription], to path: String) throws {
        precondition(output.needsExporter)
        let request = ExportRequest(labelMap: labelMap, labelMapPath: "\(study) (label map)", source: source, sourcePath: sourcePath,
                                    segments: segments, format: format(output), output: path,
                                    series: DerivedSeriesInfo(seriesDescription: "VoxSAM segmentation (\(study))"))
        _ = try Exporter.export(request)
    }
}
