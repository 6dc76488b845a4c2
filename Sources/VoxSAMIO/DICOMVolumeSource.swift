import VoxSAMCore

/// Routes DICOM inputs to the DCMTK-based reader (VoxSAMIO/DICOM).
enum DICOMVolumeSource {
    static func read(path: String, options: VolumeReadOptions) throws -> Volume {
        throw VoxSAMError(.unsupportedFormat, "DICOM reading is not available in this build", path: path)
    }
}
