import ArgumentParser
import VoxSAMCore
import VoxSAMIO

/// Options every command that reads a volume shares.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: "DICOM: the SeriesInstanceUID (or series key shown by `voxsam info`) to read when a folder holds several series.")
    var series: String?

    @Option(name: .long, help: "NIfTI 4D: which volume to read (0-based; default: the first, with a warning).")
    var volume: Int?

    @Flag(name: .long, help: "DICOM: accept irregular slice spacing (gaps, gantry tilt) by using the mean spacing, with a warning.")
    var allowIrregular = false

    @Option(name: .long, help: "Refuse images of more voxels than this (checked from the header before reading; default \(ReadLimits.defaultMaxVoxels)).")
    var maxVoxels: Int = ReadLimits.defaultMaxVoxels

    @Flag(name: .long, help: "NRRD: accept an absolute `data file:` path in a detached header (default: only files in the header's folder or below).")
    var allowAbsoluteDataFile = false

    func validate() throws {
        guard maxVoxels > 0 else { throw ValidationError("--max-voxels must be positive") }
    }

    var readOptions: VolumeReadOptions {
        VolumeReadOptions(series: series, volumeIndex: volume, allowIrregular: allowIrregular,
                          maxVoxels: maxVoxels, allowAbsoluteDataFile: allowAbsoluteDataFile)
    }
}
