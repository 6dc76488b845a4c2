import ArgumentParser
import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMPACS

/// `voxsam convert INPUT OUTPUT`: any supported volume to NIfTI/NRRD/npz, intensities and geometry exact.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a volume to .nii, .nii.gz, .nrrd or .npz (chosen by the output extension); voxel values and geometry are kept exactly.",
        discussion: """
        Examples:
          voxsam convert CT_SERIES/ ct.nii.gz
          voxsam convert CT_SERIES/ ct.nrrd --series 1.2.840.113619.2.55.3.604688119   (a folder with several series)
        """)

    @Argument(help: "A DICOM file/folder/DICOMDIR, NIfTI, NRRD or .npz; a series on a PACS (dicomweb://HOST:PORT/PATH/studies/S/series/U or dimse://AET@HOST:PORT/SERIES_UID).")
    var input: String

    @Argument(help: "Output path ending in .nii, .nii.gz, .hdr, .nrrd or .npz.")
    var output: String

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var pacs: PACSOptions

    @Flag(name: .long, help: "Do not print warnings.")
    var quiet = false

    func run() throws {
        _ = try OutputFormat.volume(for: output)
        try AtomicWrite.checkDestination(output)
        let local = try pacs.localize(input)
        defer { local.remove() }
        let volume = try local.naming { try VolumeReader.read(path: local.path, options: inputOptions.readOptions) }
        if !quiet { for w in volume.metadata.warnings { Diagnostics.warn("\(input): \(w)") } }
        try VolumeWriter.write(volume, to: output)
        if !quiet {
            let s = volume.size
            Diagnostics.info("wrote \(output) (\(s.x)x\(s.y)x\(s.z) \(volume.type.rawValue), \(volume.geometry.orientationCode))")
        }
    }
}
