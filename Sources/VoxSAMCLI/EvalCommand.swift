import ArgumentParser
import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMSegment

/// `voxsam eval PRED GT`: Dice and normalised surface Dice per label.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Dice (DSC) and normalised surface Dice (NSD) per label and their mean, for label maps on the same grid.")

    @Argument(help: "Predicted label map (.nii.gz, .nii, .nrrd, .npz with `segs`, DICOM not supported).")
    var prediction: String

    @Argument(help: "Ground-truth label map (an .npz may hold `gts`). Spacing is taken from it.")
    var groundTruth: String

    @Option(name: .long, help: "NSD tolerance in mm.")
    var toleranceMm: Double = 2

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let (p, pKnown) = try readLabels(prediction, preferred: "segs")
        let (g, gKnown) = try readLabels(groundTruth, preferred: "gts")
        let report = try Evaluation.evaluate(prediction: p, groundTruth: g, toleranceMM: toleranceMm,
                                             checkGeometry: pKnown && gKnown)
        if json {
            print(try JSONOutput.string(report))
        } else {
            print("label   DSC     NSD     gt voxels  pred voxels")
            for s in report.perLabel {
                print(String(format: "%5d  %.4f  %.4f  %10d  %11d", s.label, s.dsc, s.nsd, s.gtVoxels, s.segVoxels))
            }
            print(String(format: " mean  %.4f  %.4f  (NSD tolerance %.2g mm)", report.dsc, report.nsd, report.toleranceMM))
        }
    }

    /// The label map and whether its file carries geometry (an .npz without `spacing` does not).
    func readLabels(_ path: String, preferred: String) throws -> (Volume, Bool) {
        if try VolumeReader.format(of: path) == .npz {
            let npz = try NPZArchive.read(path: path)
            let name = npz[preferred] != nil ? preferred : (npz["segs"] != nil ? "segs" : "gts")
            guard let a = npz[name] else {
                throw VoxSAMError(.corruptFile, "the .npz holds no `segs` or `gts` label array", path: path)
            }
            return (try NPZVolume.volume(a, name: name, archive: npz, path: path), npz["spacing"] != nil)
        }
        return (try VolumeReader.read(path: path), true)
    }
}
