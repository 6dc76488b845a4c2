import VoxSAMIO

/// Series of a DICOM input for `voxsam info` (bridges VoxSAMIO's DICOM listing to the report).
enum DICOMSeriesListing {
    static func list(path: String) throws -> [InfoReport.SeriesInfo] {
        []
    }
}
