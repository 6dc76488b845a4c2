import Foundation
import VoxSAMCore

/// Reads CT/MR DICOM series into volumes: a single file, a folder (searched recursively; files
/// that are not DICOM are skipped and counted) or a DICOMDIR.
///
/// Decoding: DCMTK for native (little/big endian), deflated, RLE, JPEG and JPEG-LS; OpenJPEG
/// for JPEG 2000 (multi-fragment frames included). Siemens mosaics are de-tiled; enhanced
/// multi-frame CT/MR use their per-frame functional groups.
///
/// Geometry: i = DICOM column, j = DICOM row, k = slice, with LPS direction columns
/// (row cosine, column cosine, slice direction) as ITK builds them; slices are sorted along the
/// normal of ImageOrientationPatient. Irregular stacks (gaps, uneven spacing, duplicates, gantry
/// tilt) are refused with a message naming the tags, unless `allowIrregular` is set.
public enum DICOMReader {
    /// Series and skipped files under `path`. A folder without images gives an empty inventory;
    /// a missing path, or a single file that is not a readable DICOM image, throws.
    public static func inventory(path: String) throws -> DICOMInventory {
        try inventory(of: try DICOMFileScanner.scan(path))
    }

    /// The image series under `path` (a file, a folder or a DICOMDIR), ordered by SeriesNumber.
    /// Throws when there is none.
    public static func listSeries(path: String) throws -> [DICOMSeries] {
        let scan = try DICOMFileScanner.scan(path)
        let inventory = try inventory(of: scan)
        if inventory.series.isEmpty { throw noImages(scan) }
        return inventory.series
    }

    private static func inventory(of scan: DICOMScan) throws -> DICOMInventory {
        let path = scan.path
        if scan.root == .file && scan.images.isEmpty { throw noImages(scan) }
        let groups = DICOMSeriesGrouping.group(scan.images)
        let series = groups.map { summarize($0, headers: scan.images, sourcePath: path) }
            .sorted { ($0.seriesNumber ?? Int.max, $0.key) < ($1.seriesNumber ?? Int.max, $1.key) }
        return DICOMInventory(
            path: path, series: series, nonDICOMFileCount: scan.nonDICOMCount,
            nonImageFiles: scan.nonImages.map { DICOMFileProblem(path: $0.path, message: nonImageDescription($0)) },
            unreadableFiles: scan.problems)
    }

    /// Reads one series as a volume. `series` is a key or SeriesInstanceUID from `listSeries`;
    /// it may be nil when the path holds exactly one series.
    public static func read(path: String, series: String? = nil, options: DICOMReadOptions = DICOMReadOptions()) throws -> Volume {
        let scan = try DICOMFileScanner.scan(path)
        guard !scan.images.isEmpty else { throw noImages(scan) }
        let headers = scan.images
        let groups = DICOMSeriesGrouping.group(headers)
        let group = try choose(series, from: groups, headers: headers, path: path)
        let plan = try DICOMVolumePlanner.plan(group, headers: headers, options: options, sourcePath: path)
        let size = plan.geometry.size
        let count = try ReadLimits.product([size.x, size.y, size.z], field: "Columns (0028,0011) x Rows (0028,0010) x slices", path: path)
        try ReadLimits.checkVoxels(count, limit: options.maxVoxels, field: "Columns (0028,0011) x Rows (0028,0010) x slices", path: path)
        let voxels = try DICOMPixelAssembler.assemble(plan, headers: headers, options: options)
        var metadata = DICOMMetadataBuilder.metadata(plan, group: group, headers: headers, sourcePath: path)
        if !scan.problems.isEmpty {
            let listed = scan.problems.prefix(3).map { "\(($0.path as NSString).lastPathComponent) (\($0.message))" }
            metadata.warnings.append("\(scan.problems.count) DICOM file\(scan.problems.count == 1 ? "" : "s") could not be read and "
                + "\(scan.problems.count == 1 ? "was" : "were") skipped: " + listed.joined(separator: "; ")
                + (scan.problems.count > 3 ? "; …" : ""))
        }
        return Volume(geometry: plan.geometry, voxels: voxels, metadata: metadata)
    }

    // MARK: helpers

    private static func choose(_ series: String?, from groups: [DICOMSeriesGroup], headers: [DICOMFileHeader],
                               path: String) throws -> DICOMSeriesGroup {
        if let series {
            if let g = groups.first(where: { $0.key == series }) { return g }
            let byUID = groups.filter { $0.seriesInstanceUID == series }
            if byUID.count == 1 { return byUID[0] }
            if byUID.count > 1 {
                throw VoxSAMError(.invalidArgument, "SeriesInstanceUID \(series) holds \(byUID.count) image sets that cannot form one "
                    + "volume; choose one with --series KEY:\n" + listing(byUID, headers: headers, path: path), path: path)
            }
            throw VoxSAMError(.invalidArgument, "no series \(series) here; available (choose with --series KEY):\n"
                + listing(groups, headers: headers, path: path), path: path)
        }
        if groups.count == 1 { return groups[0] }
        throw VoxSAMError(.invalidArgument, "\(groups.count) series found; choose one with --series KEY:\n"
            + listing(groups, headers: headers, path: path), path: path)
    }

    /// One line per series: key, number, modality, description, slice count and size.
    private static func listing(_ groups: [DICOMSeriesGroup], headers: [DICOMFileHeader], path: String) -> String {
        groups.map { summarize($0, headers: headers, sourcePath: path) }
            .sorted { ($0.seriesNumber ?? Int.max, $0.key) < ($1.seriesNumber ?? Int.max, $1.key) }
            .map { s in
                var line = "  \(s.key)"
                if let n = s.seriesNumber { line += "  #\(n)" }
                if let m = s.modality { line += "  \(m)" }
                line += "  \"\(s.seriesDescription ?? "")\"  \(s.sliceCount) slice\(s.sliceCount == 1 ? "" : "s") "
                    + "(\(s.size.x)x\(s.size.y)x\(s.size.z))"
                if s.volumeCount > 1 { line += ", \(s.volumeCount) volumes" }
                if let p = s.problem { line += " — not readable as is: \(p)" }
                return line
            }
            .joined(separator: "\n")
    }

    static func summarize(_ group: DICOMSeriesGroup, headers: [DICOMFileHeader], sourcePath: String) -> DICOMSeries {
        let first = headers[group.frames[0].file]
        func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }
        var s = DICOMSeries(
            key: group.key, seriesInstanceUID: group.seriesInstanceUID, seriesNumber: first.seriesNumber,
            seriesDescription: nonEmpty(first.seriesDescription), modality: nonEmpty(first.modality),
            seriesDate: first.attributes["SeriesDate"], seriesTime: first.attributes["SeriesTime"],
            frameCount: group.frames.count, volumeCount: 1, sliceCount: group.frames.count,
            size: SIMD3(first.image.columns, first.image.rows, group.frames.count), spacing: nil,
            warnings: group.warnings, problem: nil,
            files: Array(Set(group.frames.map { headers[$0.file].path })).sorted())
        do {
            let plan = try DICOMVolumePlanner.plan(group, headers: headers, options: DICOMReadOptions(), sourcePath: sourcePath)
            s.volumeCount = plan.volumeCount
            s.sliceCount = plan.slices.count
            s.size = plan.geometry.size
            s.spacing = plan.geometry.spacing
            s.warnings = plan.warnings
        } catch let e as VoxSAMError {
            s.problem = e.message.hasPrefix("series \(group.key): ") ? String(e.message.dropFirst("series \(group.key): ".count)) : e.message
        } catch {
            s.problem = String(describing: error)
        }
        return s
    }

    private static func nonImageDescription(_ h: DICOMFileHeader) -> String {
        if h.image.isDICOMDIR { return "DICOMDIR (Media Storage Directory)" }
        if DICOMFileHeader.labelObjectSOPClasses.contains(h.sopClassUID) {
            return "\(h.sopClassDescription): a segmentation (label object), not an image series"
        }
        if h.image.hasFloatPixelData {
            return "\(h.sopClassDescription) with FloatPixelData (7FE0,0008) / DoubleFloatPixelData (7FE0,0009), which is not supported"
        }
        return "\(h.sopClassDescription) without PixelData (7FE0,0010)"
    }

    /// The error for a path without any readable image.
    private static func noImages(_ scan: DICOMScan) -> VoxSAMError {
        if scan.root == .file, let h = scan.nonImages.first {
            return VoxSAMError(.unsupportedData, "not an image: a DICOM \(nonImageDescription(h)); VoxSAM reads CT and MR image series",
                               path: scan.path)
        }
        var parts: [String] = []
        if scan.nonDICOMCount > 0 { parts.append("\(scan.nonDICOMCount) not DICOM") }
        if !scan.nonImages.isEmpty {
            let kinds = Set(scan.nonImages.map { $0.image.isDICOMDIR ? "DICOMDIR" : (DCMTKLibrary.uidName($0.sopClassUID) ?? ($0.sopClassUID.isEmpty ? "unknown" : $0.sopClassUID)) })
            parts.append("\(scan.nonImages.count) non-image DICOM (\(kinds.sorted().joined(separator: ", ")))")
        }
        if let p = scan.problems.first {
            parts.append("\(scan.problems.count) unreadable (e.g. \((p.path as NSString).lastPathComponent): \(p.message))")
        }
        let what = scan.root == .dicomdir ? "the DICOMDIR references no DICOM image" : "no DICOM images found"
        let detail = parts.isEmpty ? "the folder contains no files" : "scanned: " + parts.joined(separator: ", ")
        let code: VoxSAMError.Code = !scan.nonImages.isEmpty ? .unsupportedData : (!scan.problems.isEmpty ? .corruptFile : .unsupportedFormat)
        return VoxSAMError(code, "\(what) (\(detail))", path: scan.path)
    }
}
