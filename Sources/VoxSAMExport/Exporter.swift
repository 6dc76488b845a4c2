import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol

/// One export: a label map, the image it was made from (its grid and, for DICOM outputs, its
/// instances), what each label means, and where to write what.
public struct ExportRequest: Sendable {
    public var labelMap: Volume
    /// Where the label map came from (for messages).
    public var labelMapPath: String
    /// The source image (required for DICOM SEG and RTSTRUCT; otherwise optional: when given, the
    /// label map is checked against and written on its grid).
    public var source: Volume?
    public var sourcePath: String?
    public var segments: [SegmentDescription]
    public var format: OutputFormat
    public var output: String
    public var series: DerivedSeriesInfo
    public var contourSimplification: ContourSimplification = .default
    /// How the label map was made (DICOM SEG and RTSTRUCT record it); see `SegmentationAlgorithm`.
    public var algorithm: SegmentationAlgorithm
    /// Labels of structures a user corrected (key boxes): recorded as SEMIAUTOMATIC where `algorithm`
    /// is AUTOMATIC.
    public var correctedLabels: Set<Int> = []

    /// The algorithm recorded for one structure.
    public func algorithm(label: Int) -> SegmentationAlgorithm {
        correctedLabels.contains(label) ? algorithm.corrected : algorithm
    }

    public init(labelMap: Volume, labelMapPath: String, source: Volume?, sourcePath: String?,
                segments: [SegmentDescription], format: OutputFormat, output: String,
                series: DerivedSeriesInfo = DerivedSeriesInfo(seriesDescription: "VoxSAM segmentation"),
                algorithm: SegmentationAlgorithm) {
        self.algorithm = algorithm
        self.labelMap = labelMap; self.labelMapPath = labelMapPath; self.source = source; self.sourcePath = sourcePath
        self.segments = segments; self.format = format; self.output = output; self.series = series
    }
}

/// What an export wrote.
public struct ExportReport: Sendable {
    public var files: [String] = []
    public var notes: [String] = []
}

/// Writes label maps for other tools. Every file is written atomically (temporary name, then rename).
public enum Exporter {
    /// Files `request` will write (the output plus sidecars), for checking destinations before work.
    public static func plannedFiles(format: OutputFormat, output: String) -> [String] {
        [output] + format.companions(of: output, labelSidecars: true)
    }

    /// Checks every destination (folder exists and is writable) before any work.
    public static func checkDestinations(format: OutputFormat, output: String) throws {
        for p in plannedFiles(format: format, output: output) { try AtomicWrite.checkDestination(p) }
    }

    /// Label values present in a label map (0 excluded), ascending; an error names a voxel value
    /// that is not a label (negative, above 65535, or not an integer).
    public static func labelsPresent(in labelMap: Volume, path: String) throws -> [Int] {
        try LabelSlices(labelMap, path: path).presentLabels
    }

    /// Writes the export; its files (label map and sidecars) commit as one group — or join the
    /// caller's `OutputGroup`, so that a run's other outputs commit with them.
    public static func export(_ r: ExportRequest) throws -> ExportReport {
        try OutputGroup.commit { _ in try write(r) }
    }

    private static func write(_ r: ExportRequest) throws -> ExportReport {
        try checkDestinations(format: r.format, output: r.output)
        var report = ExportReport()
        var labelMap = r.labelMap
        var dicomSource: DICOMSourceSeries?
        if r.format.needsDICOMSource {
            guard let source = r.source, let sourcePath = r.sourcePath else {
                throw VoxSAMError(.invalidArgument, "\(r.format.rawValue) export needs the DICOM series the label map was made from (--reference DICOM_FOLDER)", path: r.output)
            }
            let s = try DICOMSourceSeries(source, path: sourcePath)
            labelMap = try s.align(labelMap, labelMapPath: r.labelMapPath)
            dicomSource = s
        } else if let source = r.source {
            // On the source's grid: geometry identical to the source, voxels exactly reindexed.
            labelMap = try LabelMapAlignment.align(labelMap, onto: source.geometry, reference: "image", labelMapPath: r.labelMapPath)
        }
        labelMap.metadata.warnings = []

        switch r.format {
        case .nifti, .nrrd, .npz:
            try VolumeWriter.write(labelMap, to: r.output)
            report.files.append(r.output)
            report.files += r.format.companions(of: r.output, labelSidecars: false)
            if r.format.hasLabelSidecars {
                let p = try LabelDescriptionFiles.write(segments: r.segments, besides: r.output)
                report.files += [p.json, p.itksnap]
            }
        case .segNRRD:
            try SlicerSegmentationNRRD.write(labelMap: labelMap, segments: r.segments, to: r.output)
            report.files.append(r.output)
        case .dicomSEG:
            let result = try DICOMSegWriter.write(labelMap: labelMap, source: dicomSource!, segments: r.segments,
                                                  series: r.series, algorithm: r.algorithm(label:), to: r.output)
            report.files.append(r.output)
            report.notes.append("DICOM SEG: \(result.frameCount) frames, SOP Instance UID \(result.sopInstanceUID)")
            if !result.emptyLabels.isEmpty {
                report.notes.append("labels \(result.emptyLabels.map(String.init).joined(separator: ", ")) have no voxel and were left out of the DICOM SEG")
            }
            let renumbered = result.segmentNumbers.sorted { $0.key < $1.key }.filter { $0.key != $0.value }
            if !renumbered.isEmpty {
                report.notes.append("DICOM SEG segment numbers run 1…N: " + renumbered.map { "label \($0.key) → segment \($0.value)" }.joined(separator: ", "))
            }
        case .rtstruct:
            let result = try RTStructWriter.write(labelMap: labelMap, source: dicomSource!, segments: r.segments,
                                                  series: r.series, algorithm: r.algorithm(label:), simplification: r.contourSimplification,
                                                  to: r.output)
            report.files.append(r.output)
            report.notes.append("RTSTRUCT: \(result.contourCount) contours, SOP Instance UID \(result.sopInstanceUID)")
            if !result.emptyLabels.isEmpty {
                report.notes.append("ROIs for labels \(result.emptyLabels.map(String.init).joined(separator: ", ")) are empty (no voxel)")
            }
        }
        return report
    }
}
