import ArgumentParser
import Foundation
import VoxSAMCore
import VoxSAMExport
import VoxSAMIO
import VoxSAMPACS
import VoxSAMProtocol

/// `voxsam export`: a label map (from VoxSAM or any other tool) into DICOM SEG, RTSTRUCT, Slicer
/// .seg.nrrd or a NIfTI/NRRD with label names.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a label map as DICOM SEG, RTSTRUCT, Slicer .seg.nrrd, or NIfTI/NRRD with label names.",
        discussion: """
        The label map must sample the reference image's voxels: the same grid, or the same voxel centres \
        in another axis order or direction (e.g. a NIfTI converted from the DICOM series), which is \
        reindexed exactly. DICOM SEG and RTSTRUCT need the DICOM series as --reference; they copy \
        patient and study from it and reference its instances. Label names, colours and SNOMED CT codes \
        come from --protocol, then --names, then the built-in terminology by name.

        Examples:
          voxsam export seg.nii.gz --reference CT_SERIES/ --names 1=liver,2=spleen -o seg.dcm
          voxsam export seg.nii.gz --reference CT_SERIES/ --to rtstruct --algorithm-name "nnU-Net 2.5" -o rt.dcm
          voxsam export seg.nii.gz --reference ct.nii.gz --protocol ct-abdomen -o seg.seg.nrrd
          voxsam export seg.nii.gz --reference dimse://PACS@pacs.example:104/1.2.3.4 --to rtstruct -o rt.dcm --push dimse://PACS@pacs.example:104
        """)

    @Argument(help: "The label map: NIfTI, NRRD or .npz (integer labels, 0 = background).")
    var labelMap: String

    @Option(name: .long, help: "The image the label map was made from (a DICOM series folder for dicom-seg and rtstruct, or a series on a PACS: dicomweb://…/studies/S/series/U, dimse://AET@HOST:PORT/SERIES_UID).")
    var reference: String?

    @Option(name: .long, help: "Output format: dicom-seg, rtstruct, seg-nrrd, nifti, nrrd or npz (default: from the output's extension).")
    var to: String?

    @Option(name: .long, help: "Segmentation protocol (YAML file or shipped name) giving names, colours and codes.")
    var `protocol`: String?

    @Option(name: .long, help: "Label names, e.g. 1=liver,2=spleen (used for labels the protocol does not name).")
    var names: String?

    @Flag(name: .long, help: "With --protocol: a label the protocol does not define is an error (default: named from --names or the built-in terminology).")
    var strict = false

    @Option(name: .long, help: "DICOM SeriesDescription of the new SEG/RTSTRUCT series.")
    var seriesDescription: String = "VoxSAM segmentation"

    @Option(name: .long, help: "DICOM SeriesNumber of the new series.")
    var seriesNumber: Int = 901

    @Option(name: .long, help: "RTSTRUCT: maximum deviation of simplified contours from the pixel boundary, in pixels (0 = exact pixel boundary).")
    var contourTolerance: Double = 0.6

    @Option(name: .long, help: "How the label map was made, recorded in DICOM SEG and RTSTRUCT: manual, semiautomatic or automatic (default: automatic with --algorithm-name, else manual — export claims no algorithm it did not run).")
    var algorithmType: String?

    @Option(name: .long, help: "The algorithm that made the label map (required for semiautomatic and automatic), e.g. \"nnU-Net 2.5\".")
    var algorithmName: String?

    @Option(name: .shortAndLong, help: "Output file.")
    var output: String

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var pacs: PACSOptions

    @Option(name: .long, help: "Send the DICOM SEG or RTSTRUCT written to a PACS: dicomweb://HOST:PORT/PATH (STOW-RS) or dimse://AET@HOST:PORT (C-STORE). If it fails, the file stays written and the exit code is 6.")
    var push: String?

    @Flag(name: .long, help: "No summary on stderr.")
    var quiet = false

    func run() throws {
        let format = try OutputFormat.resolve(to, output: output)
        try Exporter.checkDestinations(format: format, output: output)
        if format.needsDICOMSource && reference == nil {
            throw VoxSAMError(.invalidArgument, "--to \(format.rawValue) needs --reference DICOM_FOLDER: the DICOM series the label map was made from")
        }
        let destination = try push.map { text -> PACSAddress in
            guard format == .dicomSEG || format == .rtstruct else {
                throw VoxSAMError(.invalidArgument, "--push sends DICOM SEG or RTSTRUCT: write one (--to dicom-seg|rtstruct)")
            }
            return try PACSAddress.destination(text)
        }
        let algorithm = try SegmentationAlgorithm.parse(type: algorithmType, name: algorithmName)
        let given = try LabelNames.parse(names)
        let proto = try self.protocol.map(ProtocolLibrary.resolve)

        let labels = try VolumeReader.read(path: labelMap)
        // The credentials are checked now, before any work; a reference on a PACS is fetched.
        let client: PACSClient? = try destination != nil || reference.map(PACSAddress.isRemote) == true ? pacs.client() : nil
        let local = try reference.map { try pacs.localize($0, client: client) }
        defer { local?.remove() }
        let source = try local.map { l in try l.naming { try VolumeReader.read(path: l.path, options: inputOptions.readOptions) } }
        let catalog = SegmentCatalog(protocol: proto, strict: strict)
        let present = try Exporter.labelsPresent(in: labels, path: labelMap)
        let segments = try catalog.describe(present.map { (label: $0, name: given[$0], color: nil) })

        var series = DerivedSeriesInfo(seriesDescription: seriesDescription, seriesNumber: seriesNumber)
        series.contentDescription = proto.map { "VoxSAM export, protocol \($0.name)" } ?? "VoxSAM export"
        var request = ExportRequest(labelMap: labels, labelMapPath: labelMap, source: source, sourcePath: local?.path,
                                    segments: segments, format: format, output: output, series: series, algorithm: algorithm)
        request.contourSimplification = contourTolerance <= 0 ? .none : .maxDeviation(contourTolerance)
        let report = try local.map { l in try l.naming { try Exporter.export(request) } } ?? Exporter.export(request)
        if !quiet {
            for n in report.notes { Diagnostics.info(n) }
            Diagnostics.info("wrote \(report.files.joined(separator: ", ")) (\(segments.count) segments: \(segments.map { "\($0.label) \($0.name)" }.joined(separator: ", ")))")
        }
        if let destination, let client {
            try pacs.push([output], to: destination, client: client, quiet: quiet)
        }
    }
}

/// `--names 1=liver,2=spleen`.
enum LabelNames {
    static func parse(_ text: String?) throws -> [Int: String] {
        guard let text, !text.isEmpty else { return [:] }
        var out: [Int: String] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let label = Int(kv[0]), !kv[1].isEmpty else {
                throw VoxSAMError(.invalidArgument, "--names must be LABEL=NAME pairs separated by commas, e.g. 1=liver,2=spleen (got `\(part)`)")
            }
            try LabelValue.check(label, "--names")
            guard out[label] == nil else { throw VoxSAMError(.invalidArgument, "--names gives label \(label) twice") }
            out[label] = kv[1]
        }
        return out
    }
}
