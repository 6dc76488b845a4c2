import Foundation
import VoxSAMCore

/// Options shared by every reader.
public struct VolumeReadOptions: Sendable {
    /// DICOM: which series to read when a folder holds several (SeriesInstanceUID or series key).
    public var series: String?
    /// NIfTI 4D: which volume to read.
    public var volumeIndex: Int?
    /// DICOM: accept irregular slice spacing (gaps, tilt) by using the mean spacing, with a warning.
    public var allowIrregular: Bool = false
    /// Largest volume (in voxels) a reader accepts; checked from the header before anything is
    /// allocated. CLI: `--max-voxels`.
    public var maxVoxels: Int = ReadLimits.defaultMaxVoxels
    /// NRRD: accept an absolute `data file:` path. Without it only files in the header's folder
    /// or below are read. CLI: `--allow-absolute-data-file`.
    public var allowAbsoluteDataFile: Bool = false

    public init(series: String? = nil, volumeIndex: Int? = nil, allowIrregular: Bool = false,
                maxVoxels: Int = ReadLimits.defaultMaxVoxels, allowAbsoluteDataFile: Bool = false) {
        self.series = series
        self.volumeIndex = volumeIndex
        self.allowIrregular = allowIrregular
        self.maxVoxels = maxVoxels
        self.allowAbsoluteDataFile = allowAbsoluteDataFile
    }
}

/// Reads any supported volume: DICOM file/folder/DICOMDIR, NIfTI, NRRD, CVPR24 npz.
public enum VolumeReader {
    public static func read(path: String, options: VolumeReadOptions = VolumeReadOptions()) throws -> Volume {
        let format = try FormatDetection.detect(path)
        switch format {
        case .nifti: return try NIfTIReader.read(path: path, options: .init(volumeIndex: options.volumeIndex, maxVoxels: options.maxVoxels))
        case .nrrd: return try NRRDReader.read(path: path, options: options)
        case .npz: return try NPZVolume.read(path: path, maxVoxels: options.maxVoxels)
        case .dicom: return try DICOMVolumeSource.read(path: path, options: options)
        }
    }

    public static func format(of path: String) throws -> VolumeFormat { try FormatDetection.detect(path) }
}

/// Writes a volume in the format its extension names (.nii, .nii.gz, .hdr, .nrrd, .npz), atomically.
public enum VolumeWriter {
    public static func write(_ volume: Volume, to path: String) throws {
        switch try OutputFormat.volume(for: path) {
        case .nifti: try NIfTIWriter.write(volume, to: path)
        case .nrrd: try NRRDWriter.write(volume, to: path)
        case .npz:
            let isLabel = volume.type == .uint8 || volume.type == .uint16
            try NPZVolume.writeLabelMap(volume, to: path, arrayName: isLabel ? "segs" : "imgs")
        case .segNRRD, .dicomSEG, .rtstruct:
            throw VoxSAMError(.unsupportedFormat, "writing DICOM images is not supported (use `voxsam export` for DICOM SEG/RTSTRUCT)", path: path)
        }
    }
}
