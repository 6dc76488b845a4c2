import VoxSAMCore

/// Routes DICOM inputs to the DCMTK-based reader (VoxSAMIO/DICOM).
enum DICOMVolumeSource {
    static func read(path: String, options: VolumeReadOptions) throws -> Volume {
        try DICOMReader.read(path: path, series: options.series,
                             options: DICOMReadOptions(allowIrregular: options.allowIrregular, volumeIndex: options.volumeIndex,
                                                          maxVoxels: options.maxVoxels))
    }
}
