/// One series found under a path, as `DICOMReader.read(path:series:)` would read it.
public struct DICOMSeries: Sendable, Equatable {
    /// What to pass as `series:` (CLI `--series`): the SeriesInstanceUID; "<uid>#<n>" when images of
    /// one UID had to be split (different orientation, size, pixel spacing or SeriesNumber);
    /// "synthetic-<16 hex>" when the images have no SeriesInstanceUID (stable across runs).
    public var key: String
    /// SeriesInstanceUID (0020,000E), nil when empty in the files.
    public var seriesInstanceUID: String?
    public var seriesNumber: Int?
    /// SeriesDescription (0008,103E).
    public var seriesDescription: String?
    /// Modality (0008,0060), e.g. "CT", "MR".
    public var modality: String?
    /// SeriesDate (0008,0021) and SeriesTime (0008,0031) as stored (YYYYMMDD, HHMMSS.FFFFFF).
    public var seriesDate: String?
    public var seriesTime: String?
    /// Number of images (frames, mosaic tiles) in the series.
    public var frameCount: Int
    /// Number of volumes at the same positions (time points, echoes, …); 1 for an ordinary series.
    public var volumeCount: Int
    /// Number of k-slices of the volume `read` returns.
    public var sliceCount: Int
    /// Voxel counts (columns, rows, slices) of that volume.
    public var size: SIMD3<Int>
    /// Voxel size (mm) along i, j, k when the geometry is known.
    public var spacing: SIMD3<Double>?
    /// Non-fatal findings (split series, several volumes, missing geometry, …).
    public var warnings: [String]
    /// Why `read` would refuse this series with default options (irregular grid, RGB, …), or nil.
    public var problem: String?
    /// The files holding the series' images, sorted.
    public var files: [String]

    /// Whether `read` accepts the series with default options.
    public var isReadable: Bool { problem == nil }
}

/// Everything found under a path: the series plus what was skipped.
public struct DICOMInventory: Sendable, Equatable {
    /// The file, folder or DICOMDIR that was scanned.
    public var path: String
    /// Image series, ordered by SeriesNumber then key.
    public var series: [DICOMSeries]
    /// Files that are not DICOM (skipped silently).
    public var nonDICOMFileCount: Int
    /// DICOM files without pixel data (RTSTRUCT, SR, presentation states, DICOMDIR, …) with their SOP class.
    public var nonImageFiles: [DICOMFileProblem]
    /// DICOM files that could not be read (truncated, malformed), with the reason.
    public var unreadableFiles: [DICOMFileProblem]
}
