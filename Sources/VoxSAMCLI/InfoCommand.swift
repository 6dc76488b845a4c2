import ArgumentParser
import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMPACS

/// `voxsam info INPUT [--json]`: what a volume (or every series of a DICOM folder) is.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show dimensions, spacing, origin, direction, modality, datatype and intensity range of a volume; for a DICOM folder, every series.",
        discussion: """
        Box coordinates for `segment` are indices in the stored order shown here (i, j, k). For a DICOM \
        series, k follows the patient position along the slice normal, which may run opposite to the \
        InstanceNumbers.

        Examples:
          voxsam info ct.nii.gz
          voxsam info DICOM_FOLDER/ --json
        """)

    @Argument(help: "A DICOM file, folder or DICOMDIR; a NIfTI (.nii, .nii.gz, .hdr), NRRD (.nrrd, .nhdr) or CVPR24 .npz file; a series on a PACS (dicomweb://HOST:PORT/PATH/studies/S/series/U or dimse://AET@HOST:PORT/SERIES_UID).")
    var input: String

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var pacs: PACSOptions

    @Flag(name: .long, help: "Print JSON (schema in README: `voxsam info --json`).")
    var json = false

    func run() throws {
        let local = try pacs.localize(input)
        defer { local.remove() }
        var report = try local.naming { try InfoReport.make(path: local.path, options: inputOptions.readOptions) }
        report.path = input
        if json {
            print(try JSONOutput.string(report))
        } else {
            print(report.text)
        }
    }
}

/// The `voxsam info --json` document (stable: fields are only ever added).
struct InfoReport: Codable {
    struct VolumeInfo: Codable {
        var size: [Int]
        var spacing: [Double]
        var origin: [Double]
        /// Rows of the 3×3 direction matrix; columns are the i, j, k axes in LPS.
        var direction: [[Double]]
        var orientation: String
        var datatype: String
        var modality: String?
        var range: [Double]?
        var seriesInstanceUID: String?
        var seriesDescription: String?
        var warnings: [String]
    }

    struct SeriesInfo: Codable {
        var key: String
        var seriesInstanceUID: String
        /// SeriesNumber, SeriesDate (YYYYMMDD) and SeriesTime (HHMMSS) as stored.
        var number: Int?
        var date: String?
        var time: String?
        var description: String
        var modality: String
        var slices: Int
        var size: [Int]
        var warnings: [String]
    }

    var path: String
    var format: String
    var volume: VolumeInfo?
    var series: [SeriesInfo]?

    static func make(path: String, options: VolumeReadOptions) throws -> InfoReport {
        let format = try VolumeReader.format(of: path)
        var report = InfoReport(path: path, format: format.rawValue)
        if format == .dicom {
            let list = try DICOMSeriesListing.list(path: path)
            report.series = list
            if list.count > 1 && options.series == nil { return report }
        }
        let v = try VolumeReader.read(path: path, options: options)
        report.volume = volumeInfo(v)
        return report
    }

    static func volumeInfo(_ v: Volume) -> VolumeInfo {
        let g = v.geometry
        let r = v.voxels.range
        // `+ 0` turns -0 into 0 so the JSON is stable.
        return VolumeInfo(size: [g.size.x, g.size.y, g.size.z], spacing: [g.spacing.x, g.spacing.y, g.spacing.z],
                          origin: [g.origin.x + 0, g.origin.y + 0, g.origin.z + 0],
                          direction: g.direction.rows.map { $0.map { $0 + 0 } },
                          orientation: g.orientationCode, datatype: v.type.rawValue, modality: v.metadata.modality,
                          range: r.map { [$0.min, $0.max] }, seriesInstanceUID: v.metadata.seriesInstanceUID,
                          seriesDescription: v.metadata.seriesDescription, warnings: v.metadata.warnings)
    }

    /// "2019-03-05 14:22:10" from DICOM DA/TM values (whatever parts are present), nil when absent.
    static func dateTime(_ date: String?, _ time: String?) -> String? {
        var parts: [String] = []
        if let d = date, d.count == 8, d.allSatisfy(\.isNumber) {
            parts.append("\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))")
        } else if let d = date, !d.isEmpty { parts.append(d) }
        if let t = time, t.count >= 6, t.prefix(6).allSatisfy(\.isNumber) {
            parts.append("\(t.prefix(2)):\(t.dropFirst(2).prefix(2)):\(t.dropFirst(4).prefix(2))")
        } else if let t = time, !t.isEmpty { parts.append(t) }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    var text: String {
        var lines = ["\(path) (\(format))"]
        if let series, !series.isEmpty {
            lines.append("\(series.count) series:")
            for s in series {
                var line = "  \(s.key)"
                if let n = s.number { line += "  #\(n)" }
                line += "  \(s.modality)  \(s.slices) slices  \(s.size.map(String.init).joined(separator: "x"))"
                if let when = Self.dateTime(s.date, s.time) { line += "  \(when)" }
                line += "  \"\(s.description)\""
                lines.append(line)
                if s.seriesInstanceUID != s.key && !s.seriesInstanceUID.isEmpty { lines.append("    SeriesInstanceUID \(s.seriesInstanceUID)") }
                for w in s.warnings { lines.append("    warning: \(w.count > 240 ? String(w.prefix(240)) + "…" : w)") }
            }
            if volume == nil { lines.append("Choose one with --series KEY to see its geometry.") }
        }
        if let v = volume {
            func f(_ a: [Double]) -> String { a.map { String(format: "%.6g", $0) }.joined(separator: ", ") }
            lines.append("  size        \(v.size.map(String.init).joined(separator: " x ")) (i x j x k)")
            lines.append("  spacing     \(f(v.spacing)) mm")
            lines.append("  origin      \(f(v.origin)) mm (LPS)")
            lines.append("  direction   \(v.direction.map { "[" + f($0) + "]" }.joined(separator: " ")) (rows; columns = i, j, k)")
            lines.append("  orientation \(v.orientation)")
            lines.append("  datatype    \(v.datatype)")
            lines.append("  modality    \(v.modality ?? "unknown")")
            if let r = v.range { lines.append("  range       \(f(r))") }
            if let d = v.seriesDescription { lines.append("  description \(d)") }
            for w in v.warnings { lines.append("  warning: \(w)") }
        }
        return lines.joined(separator: "\n")
    }
}
