import VoxSAMIO

/// Series of a DICOM input for `voxsam info` (bridges VoxSAMIO's DICOM listing to the report).
enum DICOMSeriesListing {
    static func list(path: String) throws -> [InfoReport.SeriesInfo] {
        try DICOMReader.listSeries(path: path).map { s in
            InfoReport.SeriesInfo(key: s.key, seriesInstanceUID: s.seriesInstanceUID ?? "", number: s.seriesNumber,
                                  date: s.seriesDate, time: s.seriesTime, description: s.seriesDescription ?? "",
                                  modality: s.modality ?? "", slices: s.sliceCount, size: [s.size.x, s.size.y, s.size.z],
                                  warnings: s.warnings + (s.problem.map { ["cannot be read: \($0)"] } ?? []))
        }
    }
}
